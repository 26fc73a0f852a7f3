/**
 * The one way to open a file that an input names (a checkpoint's model.json, weight files
 * and sidecar, a result, a baseline, a recipe, a data file):
 * - its real path (symlinks resolved) must lie inside the allowed directory, when one is given;
 * - it must be a regular file: it is opened with O_NONBLOCK and checked with fstat, so a
 *   FIFO or a device cannot hang the command;
 * - its size is bounded, so a tiny input cannot make us read gigabytes.
 * Errors name the file and never echo its contents.
 */
import * as fs from 'node:fs';
import { InputError } from '../errors.ts';
import { isWithin } from './inputPaths.ts';

export interface SafeReadOptions {
  /** Prefix of messages, e.g. 'checkpoint', 'check', 'data'. */
  what: string;
  /** The directory the file's real path must lie in (e.g. the checkpoint directory). */
  within?: string;
  /** Largest size accepted, in bytes. */
  maxBytes: number;
  /** How to say what `within` is in messages (default 'the directory DIR'). */
  withinName?: string;
}

/** Bounds for the kinds of files we read. */
export const MAX_BYTES = {
  /** model.json: topology and manifest; real ones are well under a megabyte. */
  modelJson: 64 * 2 ** 20,
  /** sharpness.json sidecars, plans, locks. */
  smallJson: 4 * 2 ** 20,
  /** Result documents, baselines, shards, progress files, recipes. */
  resultJson: 512 * 2 ** 20,
  /** One weight or data file (the largest a Node buffer holds comfortably). */
  dataFile: 2 ** 31 - 1,
} as const;

function code(e: unknown): string {
  return (e as NodeJS.ErrnoException)?.code ?? String(e);
}

function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** Human units for a byte count. */
function bytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  return `${n} bytes`;
}

/**
 * The real path of `file`, checked against `within`; null when it does not exist and
 * `optional`. Throws InputError for a path leading outside.
 */
export function resolveInputFile(file: string, opts: SafeReadOptions & { optional?: boolean }): string | null {
  let real: string;
  try {
    real = fs.realpathSync(file);
  } catch (e) {
    if (code(e) === 'ENOENT' || code(e) === 'ENOTDIR') {
      if (opts.optional) {
        // A dangling symlink is not "absent": it points somewhere we will not follow.
        try {
          if (fs.lstatSync(file).isSymbolicLink()) {
            throw new InputError(`${opts.what}: ${file} is a symbolic link to a file that does not exist; remove it or replace it with the file itself`);
          }
        } catch (le) {
          if (le instanceof InputError) throw le;
        }
        return null;
      }
      throw new InputError(`${opts.what}: ${file} does not exist`);
    }
    throw new InputError(`${opts.what}: cannot read ${file} (${code(e)})`, { cause: e });
  }
  if (opts.within !== undefined) {
    let dir: string;
    try {
      dir = fs.realpathSync(opts.within);
    } catch (e) {
      throw new InputError(`${opts.what}: cannot resolve directory ${opts.within} (${code(e)})`, { cause: e });
    }
    if (real === dir || !isWithin(dir, real)) {
      throw new InputError(
        `${opts.what}: ${file} resolves to ${real}, outside ${opts.withinName ?? `the directory ${opts.within}`}; copy the file there instead of linking it`,
      );
    }
  }
  return real;
}

/**
 * Reads a file an input names (see the module comment). With `optional`, a file that does
 * not exist gives null.
 */
export function readInputFileSync(file: string, opts: SafeReadOptions & { optional: true }): Buffer | null;
export function readInputFileSync(file: string, opts: SafeReadOptions & { optional?: false }): Buffer;
export function readInputFileSync(file: string, opts: SafeReadOptions & { optional?: boolean }): Buffer | null {
  const real = resolveInputFile(file, opts);
  if (real === null) return null;
  let fd: number;
  try {
    fd = fs.openSync(real, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | (fs.constants.O_NOFOLLOW ?? 0));
  } catch (e) {
    if (code(e) === 'EISDIR') throw new InputError(`${opts.what}: ${file} is a directory, not a file`);
    throw new InputError(`${opts.what}: cannot read ${file} (${code(e)})`, { cause: e });
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new InputError(`${opts.what}: ${file} is ${kindOf(st)}, not a regular file`);
    if (st.size > opts.maxBytes) {
      throw new InputError(`${opts.what}: ${file} has ${bytes(st.size)}, more than the ${bytes(opts.maxBytes)} such a file may have`);
    }
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < st.size) {
      const n = fs.readSync(fd, buf, off, st.size - off, off);
      if (n === 0) break;
      off += n;
    }
    if (off !== st.size) throw new InputError(`${opts.what}: ${file} changed while it was being read; try again`);
    return buf;
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`${opts.what}: cannot read ${file} (${code(e)})`, { cause: e });
  } finally {
    fs.closeSync(fd);
  }
}

/** readInputFileSync as UTF-8 text. */
export function readInputTextSync(file: string, opts: SafeReadOptions & { optional: true }): string | null;
export function readInputTextSync(file: string, opts: SafeReadOptions & { optional?: false }): string;
export function readInputTextSync(file: string, opts: SafeReadOptions & { optional?: boolean }): string | null {
  const b = opts.optional ? readInputFileSync(file, { ...opts, optional: true }) : readInputFileSync(file, { ...opts, optional: false });
  return b === null ? null : b.toString('utf8');
}

/** The HDF5 signature (`\x89HDF\r\n\x1a\n`): a Keras .h5 file. */
export function isHdf5(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x89 && bytes[1] === 0x48 && bytes[2] === 0x44 && bytes[3] === 0x46;
}

/**
 * Why JSON.parse failed, without quoting the text (V8's messages quote the input, which
 * could be any file's contents): "at line L, column C" when the position is known.
 */
export function jsonErrorWhere(e: unknown, text: string): string {
  const msg = e instanceof Error ? e.message : String(e);
  const m = /position (\d+)/.exec(msg);
  if (m) {
    const pos = Number(m[1]);
    const before = text.slice(0, pos);
    const line = before.split('\n').length;
    const col = pos - before.lastIndexOf('\n');
    return `a syntax error at line ${line}, column ${col}`;
  }
  if (/end of (JSON|data)|Unexpected end/i.test(msg)) return 'it ends too early';
  return 'a syntax error';
}

/** JSON.parse with an InputError that names the file and never its contents. */
export function parseJsonText(text: string, file: string, what: string, expected: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new InputError(`${what}: ${file} is not valid JSON (${jsonErrorWhere(e, text)}); expected ${expected}`);
  }
}

/** What a path is, without following it into its contents: for choosing how to read it. */
export function pathKind(p: string): 'file' | 'directory' | 'missing' | 'other' {
  try {
    const st = fs.statSync(p);
    return st.isFile() ? 'file' : st.isDirectory() ? 'directory' : 'other';
  } catch {
    return 'missing';
  }
}
