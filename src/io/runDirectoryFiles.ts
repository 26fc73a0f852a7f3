/**
 * The file-system operations of a training run's directory (training/runDirectory.ts owns
 * the layout and the formats; this only touches the disk).
 */
import * as fs from 'node:fs/promises';

/** Whether `p` exists. */
export async function pathExists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * The entries of the directory `dir`: 'absent' when nothing is there, 'not-a-directory' when
 * something else is; other failures are thrown with their errno code.
 */
export async function directoryEntries(dir: string): Promise<string[] | 'absent' | 'not-a-directory'> {
  try {
    const st = await fs.stat(dir);
    if (!st.isDirectory()) return 'not-a-directory';
    return await fs.readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw e;
  }
}

/** The entries of `dir`, or none when it cannot be read. */
export async function entriesOrNone(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch {
    return [];
  }
}

/** Removes `dir` and everything in it (nothing when absent). */
export async function removeDirectory(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
}

export async function readBytes(file: string): Promise<Uint8Array> {
  return new Uint8Array(await fs.readFile(file));
}

export async function readText(file: string): Promise<string> {
  return fs.readFile(file, 'utf8');
}

/** The text of `file`; undefined when it cannot be read. */
export async function readTextOrUndefined(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

export async function ensureDirectory(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
}
