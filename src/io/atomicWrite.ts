/**
 * Atomic writes: a reader never sees a half-written file or checkpoint directory.
 * Files go to a temporary sibling (same directory, so the same file system), are
 * fsynced, then renamed over the target; directories are built as a sibling
 * temporary directory and renamed into place.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as fsSync from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../errors.ts';

export type FileContents = Uint8Array | string;

export interface WriteDirOptions {
  /** Replace an existing non-empty directory (default false: refuse). */
  overwrite?: boolean;
}

function tempName(target: string, tag: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${tag}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return (err.code ?? err.message ?? String(e)).toString().split('\n')[0]!;
}

async function writeAndSync(file: string, data: FileContents): Promise<void> {
  const fh = await fs.open(file, 'wx', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fsync a directory so a rename in it survives a crash; best effort (not every platform allows it). */
async function syncDir(dir: string): Promise<void> {
  let fh: fs.FileHandle | undefined;
  try {
    fh = await fs.open(dir, 'r');
    await fh.sync();
  } catch {
    // not supported here (e.g. Windows); the rename is still atomic
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/** Writes `data` to `file` atomically: temp file in the same directory + fsync + rename. */
export async function writeFileAtomic(file: string, data: FileContents): Promise<void> {
  const tmp = tempName(file, 'tmp');
  try {
    await writeAndSync(tmp, data);
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw new InputError(`write: cannot write ${file} (${reason(e)}); check that its directory exists and is writable`, {
      cause: e,
    });
  }
  await syncDir(path.dirname(file));
}

/** writeFileAtomic, synchronously: for the Ctrl-C handler, which must finish before the process exits. */
export function writeFileAtomicSync(file: string, data: FileContents): void {
  const tmp = tempName(file, 'int');
  try {
    const fd = fsSync.openSync(tmp, 'w', 0o644);
    try {
      if (typeof data === 'string') fsSync.writeSync(fd, data);
      else fsSync.writeSync(fd, data);
      fsSync.fsyncSync(fd);
    } finally {
      fsSync.closeSync(fd);
    }
    fsSync.renameSync(tmp, file);
  } catch (e) {
    fsSync.rmSync(tmp, { force: true });
    throw new InputError(`write: cannot write ${file} (${reason(e)})`, { cause: e });
  }
}

/** Writes `value` as JSON (2-space indent, trailing newline) to `file` atomically. */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

function checkEntryName(dir: string, name: string): void {
  const parts = name.split(/[\\/]/);
  if (name === '' || path.isAbsolute(name) || parts.some((p) => p === '' || p === '.' || p === '..') || name.includes('\0')) {
    throw new InputError(`write: bad file name '${name}' for directory ${dir}; use a relative name without '..'`);
  }
}

async function statOrNull(p: string): Promise<import('node:fs').Stats | null> {
  try {
    return await fs.lstat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/**
 * Writes a whole directory atomically: the files go into a sibling temporary directory,
 * which is then renamed to `dir`. An existing non-empty `dir` is replaced only with
 * `{overwrite: true}`: the old one is renamed aside, the new one renamed in, the old one
 * removed (if renaming in fails, the old one is put back).
 */
export async function writeDirAtomic(
  dir: string,
  files: Record<string, FileContents>,
  options: WriteDirOptions = {},
): Promise<void> {
  for (const name of Object.keys(files)) checkEntryName(dir, name);
  const target = path.resolve(dir);
  let existing: import('node:fs').Stats | null;
  try {
    existing = await statOrNull(target);
  } catch (e) {
    throw new InputError(`write: cannot inspect ${dir} (${reason(e)})`, { cause: e });
  }
  if (existing) {
    if (!existing.isDirectory()) {
      throw new InputError(`write: ${dir} exists and is not a directory; choose another output path`);
    }
    const entries = await fs.readdir(target);
    if (entries.length > 0 && !options.overwrite) {
      throw new InputError(`write: ${dir} exists and is not empty; choose another output path or allow overwriting`);
    }
  }
  const parent = path.dirname(target);
  let tmp: string;
  try {
    await fs.mkdir(parent, { recursive: true });
    tmp = tempName(target, 'tmp');
    await fs.mkdir(tmp); // default mode, like any new directory (mkdtemp would make it 0700)
  } catch (e) {
    throw new InputError(`write: cannot create a directory next to ${dir} (${reason(e)}); check that ${parent} is writable`, {
      cause: e,
    });
  }
  try {
    for (const [name, data] of Object.entries(files)) {
      const file = path.join(tmp, name);
      await fs.mkdir(path.dirname(file), { recursive: true });
      await writeAndSync(file, data);
    }
    await syncDir(tmp);
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw new InputError(`write: cannot write the files of ${dir} (${reason(e)})`, { cause: e });
  }
  let aside: string | null = null;
  try {
    if (existing) {
      aside = tempName(target, 'old');
      await fs.rename(target, aside);
    }
    try {
      await fs.rename(tmp, target);
    } catch (e) {
      if (aside) await fs.rename(aside, target).catch(() => undefined);
      aside = null;
      throw e;
    }
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw new InputError(`write: cannot move the new ${dir} into place (${reason(e)})`, { cause: e });
  }
  await syncDir(parent);
  if (aside) await fs.rm(aside, { recursive: true, force: true }).catch(() => undefined);
}
