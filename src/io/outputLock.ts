/**
 * One writer per output: a command that writes a long-running output (a training run, a
 * result with its progress file, a comparison, a report) holds `OUT.lock`, a small JSON
 * file next to the output naming the holder (pid, host, command, since). A second run on
 * the same output is refused with a message naming the holder, instead of racing it on the
 * same state and progress files.
 *
 * - The lock appears whole or not at all: it is written to a temporary file and hard-linked
 *   into place (the link fails if a lock exists).
 * - A lock whose process no longer runs on this host (a run killed with SIGKILL, a crash)
 *   is stale and taken over; one from another host is never presumed dead.
 * - It is released when the command ends, and on exit (Ctrl-C and SIGTERM exit through
 *   process.exit, which runs the 'exit' handlers). Within one process it is re-entrant
 *   (compare runs its steps in-process).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { UsageError } from '../errors.ts';
import { processAlive } from './atomicWrite.ts';
import { MAX_BYTES } from './safeRead.ts';

export interface LockHolder {
  pid: number;
  host: string;
  command: string;
  since: string;
}

/** The lock file of an output (a file or a directory). */
export function lockPathFor(out: string): string {
  return `${path.resolve(out).replace(/[\\/]+$/, '')}.lock`;
}

/** Locks this process holds: path -> references. */
const held = new Map<string, number>();
let exitHookInstalled = false;

function removeIfOurs(lock: string): void {
  const h = readHolder(lock);
  if (h && h.pid === process.pid && h.host === os.hostname()) fs.rmSync(lock, { force: true });
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const lock of held.keys()) {
      try {
        removeIfOurs(lock);
      } catch {
        // exiting anyway
      }
    }
    held.clear();
  });
}

/** The holder recorded in a lock file; null when it cannot be read or parsed (being written, damaged). */
export function readHolder(lock: string): LockHolder | null {
  let text: string;
  try {
    const fd = fs.openSync(lock, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile() || st.size > MAX_BYTES.smallJson) return null;
      text = fs.readFileSync(fd, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return null;
  }
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (typeof v !== 'object' || v === null || !Number.isSafeInteger(v.pid) || typeof v.host !== 'string') return null;
    return { pid: v.pid!, host: v.host, command: String(v.command ?? '?'), since: String(v.since ?? '?') };
  } catch {
    return null;
  }
}

function code(e: unknown): string {
  return (e as NodeJS.ErrnoException)?.code ?? String(e);
}

/** Creates `lock` holding `text` unless it exists (atomically: link of a complete temporary file). */
function createExclusive(lock: string, text: string): boolean {
  const tmp = `${lock}.${process.pid}-${randomBytes(4).toString('hex')}`;
  fs.writeFileSync(tmp, text, { mode: 0o644 });
  try {
    fs.linkSync(tmp, lock);
    return true;
  } catch (e) {
    if (code(e) === 'EEXIST') return false;
    if (code(e) === 'EPERM' || code(e) === 'ENOTSUP' || code(e) === 'EOPNOTSUPP') {
      // A file system without hard links: exclusive create (the lock is briefly empty).
      try {
        fs.writeFileSync(lock, text, { flag: 'wx', mode: 0o644 });
        return true;
      } catch (e2) {
        if (code(e2) === 'EEXIST') return false;
        throw e2;
      }
    }
    throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/**
 * Takes the lock of `out` for `command` (UsageError naming the holder when another running
 * process holds it). Returns the release function; calling it more than once is harmless.
 */
export function lockOutput(command: string, out: string): () => void {
  const lock = lockPathFor(out);
  const release = (): void => {
    const n = held.get(lock);
    if (n === undefined) return;
    if (n > 1) {
      held.set(lock, n - 1);
      return;
    }
    held.delete(lock);
    try {
      removeIfOurs(lock);
    } catch {
      // a lock we cannot remove is stale once we exit
    }
  };
  let released = false;
  const once = (): void => {
    if (released) return;
    released = true;
    release();
  };
  const n = held.get(lock);
  if (n !== undefined) {
    held.set(lock, n + 1);
    return once;
  }
  const me: LockHolder = { pid: process.pid, host: os.hostname(), command, since: new Date().toISOString() };
  const text = `${JSON.stringify(me)}\n`;
  try {
    fs.mkdirSync(path.dirname(lock), { recursive: true });
  } catch (e) {
    throw new UsageError(`${command}: cannot create the directory of --out ${out} (${code(e)})`);
  }
  for (let attempt = 0; attempt < 8; attempt++) {
    let created: boolean;
    try {
      created = createExclusive(lock, text);
    } catch (e) {
      throw new UsageError(`${command}: cannot create the lock ${lock} next to --out ${out} (${code(e)}); check that its directory is writable`);
    }
    if (created) {
      held.set(lock, 1);
      installExitHook();
      return once;
    }
    const holder = readHolder(lock);
    if (holder === null) {
      // Being written by a file system without links, or damaged: a damaged one older than
      // a few seconds is stale.
      let age = 0;
      try {
        age = Date.now() - fs.statSync(lock).mtimeMs;
      } catch {
        continue; // gone meanwhile: try again
      }
      if (age < 5000) {
        throw new UsageError(`${command}: --out ${out} is in use by another sharpness process (${lock} is being written); wait for it to finish or use another --out`);
      }
    } else if (holder.host !== os.hostname() || processAlive(holder.pid)) {
      if (holder.pid === process.pid && holder.host === os.hostname()) {
        // Our own lock from an earlier step that was released without removing it: ours again.
        held.set(lock, 1);
        installExitHook();
        return once;
      }
      throw new UsageError(
        `${command}: --out ${out} is in use by another sharpness process (${holder.command}, pid ${holder.pid} on ${holder.host}, since ${holder.since}); wait for it to finish or use another --out; if that process no longer runs, delete ${lock}`,
      );
    }
    // Stale: move it aside (only one taker's rename succeeds), then try again.
    const aside = `${lock}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      fs.renameSync(lock, aside);
    } catch (e) {
      if (code(e) === 'ENOENT') continue; // another taker was first
      throw new UsageError(`${command}: cannot take over the stale lock ${lock} (${code(e)}); delete it`);
    }
    const moved = readHolder(aside);
    if (holder !== null && (moved === null || moved.pid !== holder.pid || moved.since !== holder.since)) {
      // Another taker replaced the stale lock between our read and our rename: put its lock back.
      try {
        fs.linkSync(aside, lock);
      } catch {
        // a third one is there already; it will be seen on the next attempt
      }
    }
    fs.rmSync(aside, { force: true });
  }
  throw new UsageError(`${command}: could not take the lock ${lock} of --out ${out}; another process keeps taking it; use another --out`);
}
