/**
 * Atomic writes: a reader never sees a half-written file or checkpoint directory.
 * Files go to a temporary sibling (same directory, so the same file system), are
 * fsynced, then renamed over the target; directories are built as a sibling
 * temporary directory and renamed into place.
 *
 * A process killed mid-write (SIGKILL, a node lost) leaves its temporary sibling behind,
 * possibly a whole copy of a training state. The names say whose they are
 * (`.TARGET.tmp-PID-HEX`), so the next write of the same target removes those of processes
 * that no longer run (see `removeLeftovers`).
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

const TEMP_TAGS = ['tmp', 'int', 'old'] as const;

/** Whether a process with this id runs on this machine (one we may not signal runs too). */
export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary siblings of `target` (the names tempName makes) left by processes
 * that no longer run: a write killed midway. Those of running processes (a concurrent
 * writer) and of this process are kept. Best effort; returns the names removed.
 */
export function removeLeftovers(target: string): string[] {
  return removeLeftoversIn(path.dirname(path.resolve(target)), `.${path.basename(target)}.`);
}

/**
 * removeLeftovers for every target in `dir` (names starting with `prefix`, default all of
 * ours): a training run cleans its run directory when it starts, since the target a killed
 * write left (a state, a checkpoint) may not be written again by a rerun of a finished run.
 */
export function removeLeftoversIn(dir: string, prefix = '.'): string[] {
  let names: string[];
  try {
    names = fsSync.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = prefix === '.' ? /^\..+\.(tmp|int|old)-(\d+)-[0-9a-f]{8}$/.exec(name) : /^(tmp|int|old)-(\d+)-[0-9a-f]{8}$/.exec(name.slice(prefix.length));
    if (!m || !(TEMP_TAGS as readonly string[]).includes(m[1]!)) continue;
    const pid = Number(m[2]);
    if (pid === process.pid || processAlive(pid)) continue;
    try {
      fsSync.rmSync(path.join(dir, name), { recursive: true, force: true });
      removed.push(name);
    } catch {
      // not ours to remove after all (permissions): left alone
    }
  }
  return removed;
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
  removeLeftovers(file);
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
  removeLeftovers(target);
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
