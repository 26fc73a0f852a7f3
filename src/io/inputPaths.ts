/**
 * The one check that an output never lands on an input: every command lists all the paths
 * it reads (checkpoints, data files, result files, baselines, recipes) and what it will
 * write (a file and the files next to it, or a directory and what it creates in it), and
 * `guardOutput` compares their real paths (symlinks resolved; for a path that does not
 * exist yet, the real path of its nearest existing parent plus the rest) before anything is
 * computed or written. It also makes sure the output can be written at all (its directory
 * exists, is a directory and is writable), so a long computation never ends in a failed write.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../errors.ts';
import { parseDataSpec } from './dataSpec.ts';

/** What a command reads. Checkpoints are directories or their model.json (the directory is the input). */
export interface CommandInputs {
  checkpoints?: readonly (string | undefined)[];
  /** Single input files: result files, baselines, recipes, topology files, shards. */
  files?: readonly (string | undefined)[];
  /** Data specs (`npy:X.npy,Y.npy` names two input files; other kinds read none of the user's files). */
  data?: readonly (string | undefined)[];
}

/** What a command writes. */
export type CommandOutput =
  /** A file, written atomically; `siblings` are suffixes of files written next to it (`.partial.json`). */
  | { kind: 'file'; path: string; siblings?: readonly string[] }
  /**
   * A directory. `creates` lists the entries written in it (files or subdirectories, which
   * are ours entirely); `'*'` means the whole directory is ours (a training run).
   */
  | { kind: 'dir'; path: string; creates: readonly string[] | '*' };

const MAX_LINKS = 40;

/**
 * The real path of `p`: symlinks resolved; for a path that does not exist yet, the real
 * path of its nearest existing parent joined with the rest (a dangling symlink is followed
 * to where a write through it would land).
 */
export function realPathOf(p: string, depth = 0): string {
  const abs = path.resolve(p);
  try {
    return fs.realpathSync(abs);
  } catch {
    // does not exist (or cannot be resolved): look at the entry itself, then its parent
  }
  if (depth < MAX_LINKS) {
    try {
      const st = fs.lstatSync(abs);
      if (st.isSymbolicLink()) return realPathOf(path.resolve(path.dirname(abs), fs.readlinkSync(abs)), depth + 1);
    } catch {
      // no such entry
    }
  }
  const parent = path.dirname(abs);
  if (parent === abs) return abs;
  return path.join(realPathOf(parent, depth + 1), path.basename(abs));
}

/** `child` equals `dir` or lies inside it (both real paths). */
export function isWithin(dir: string, child: string): boolean {
  if (child === dir) return true;
  const rel = path.relative(dir, child);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

interface RealInput {
  shown: string;
  real: string;
  /** A checkpoint directory: nothing may be written inside it. */
  dir: boolean;
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The inputs as real paths: a checkpoint directory is protected whole, and so is the
 * directory of a model.json given by name; an .onnx file given by name is protected
 * itself (results beside it are fine); a path that does not exist protects nothing (the
 * load will say it is missing).
 */
export function realInputs(inputs: CommandInputs): RealInput[] {
  const out: RealInput[] = [];
  for (const c of inputs.checkpoints ?? []) {
    if (c === undefined || c === '') continue;
    if (isDirectory(c)) out.push({ shown: c, real: realPathOf(c), dir: true });
    else if (c.toLowerCase().endsWith('.onnx')) out.push({ shown: c, real: realPathOf(c), dir: false });
    else if (fs.existsSync(c)) out.push({ shown: path.dirname(c), real: realPathOf(path.dirname(c)), dir: true });
  }
  for (const f of inputs.files ?? []) {
    if (f === undefined || f === '') continue;
    out.push({ shown: f, real: realPathOf(f), dir: isDirectory(f) });
  }
  for (const spec of inputs.data ?? []) {
    if (spec === undefined) continue;
    let parsed;
    try {
      parsed = parseDataSpec(spec);
    } catch {
      continue; // the data loader reports a bad spec
    }
    if (parsed.kind === 'npy') for (const f of [parsed.x, parsed.y]) out.push({ shown: f, real: realPathOf(f), dir: false });
  }
  return out;
}

/** Every path the output writes (real), with whether everything under it is ours too. */
function writtenPaths(out: CommandOutput): { real: string; shown: string; tree: boolean }[] {
  const root = realPathOf(out.path);
  if (out.kind === 'file') {
    return [{ real: root, shown: out.path, tree: false }, ...(out.siblings ?? []).map((s) => ({ real: root + s, shown: out.path + s, tree: false }))];
  }
  if (out.creates === '*') return [{ real: root, shown: out.path, tree: true }];
  // The directory itself is created (not replaced); the entries in it are ours.
  return [{ real: root, shown: out.path, tree: false }, ...out.creates.map((c) => ({ real: path.join(root, c), shown: path.join(out.path, c), tree: true }))];
}

/**
 * Refuses (UsageError, naming the command, the output and the input) an output that would
 * land on an input: a written path equal to an input file, inside (or equal to) an input
 * checkpoint directory, or a written tree holding an input. Then checks that the output can
 * be written (see `checkOutputWritable`). Call it before computing or writing anything.
 */
export function guardOutput(command: string, out: CommandOutput | undefined, inputs: CommandInputs): void {
  if (out === undefined) return;
  const ins = realInputs(inputs);
  for (const w of writtenPaths(out)) {
    for (const i of ins) {
      if (i.dir && isWithin(i.real, w.real)) {
        throw new UsageError(
          `${command}: --out ${out.path} would write ${w.shown}, inside the input checkpoint ${i.shown}${w.real !== path.resolve(w.shown) ? ` (${w.real})` : ''}; write results elsewhere (inputs are never modified)`,
        );
      }
      if (w.real === i.real || (w.tree && isWithin(w.real, i.real))) {
        throw new UsageError(
          `${command}: --out ${out.path} would overwrite the input ${i.shown}${i.real !== path.resolve(i.shown) ? ` (${i.real})` : ''}; choose another output path`,
        );
      }
    }
  }
  checkOutputWritable(command, out);
}

function code(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? String(e);
}

/**
 * Checks that an output can be written before any work: a file's directory must exist, be a
 * directory and be writable, and the file must not be a directory; a directory output may
 * be created (its nearest existing ancestor is a writable directory) or must be a writable
 * directory.
 */
export function checkOutputWritable(command: string, out: CommandOutput): void {
  const abs = path.resolve(out.path);
  let st: fs.Stats | null = null;
  try {
    st = fs.statSync(abs);
  } catch (e) {
    if (code(e) !== 'ENOENT' && code(e) !== 'ENOTDIR') throw new UsageError(`${command}: cannot use --out ${out.path} (${code(e)}); choose another output path`);
  }
  if (out.kind === 'file') {
    if (st?.isDirectory()) throw new UsageError(`${command}: --out ${out.path} is a directory; give the path of a file`);
    const dir = path.dirname(abs);
    let ds: fs.Stats;
    try {
      ds = fs.statSync(dir);
    } catch (e) {
      if (code(e) === 'ENOENT') throw new UsageError(`${command}: the directory of --out ${out.path} does not exist; create it first`);
      if (code(e) === 'ENOTDIR') throw new UsageError(`${command}: the directory of --out ${out.path} is not a directory; choose another output path`);
      throw new UsageError(`${command}: cannot use the directory of --out ${out.path} (${code(e)})`);
    }
    if (!ds.isDirectory()) throw new UsageError(`${command}: the directory of --out ${out.path} is not a directory; choose another output path`);
    writable(command, out.path, dir);
    return;
  }
  if (st !== null) {
    if (!st.isDirectory()) throw new UsageError(`${command}: --out ${out.path} exists and is not a directory; choose another output path`);
    writable(command, out.path, abs);
    return;
  }
  // Created with its parents: the nearest existing ancestor must be a writable directory.
  let anc = path.dirname(abs);
  for (;;) {
    let as: fs.Stats | null = null;
    try {
      as = fs.statSync(anc);
    } catch (e) {
      if (code(e) === 'ENOTDIR') throw new UsageError(`${command}: --out ${out.path} cannot be created: a parent is not a directory`);
    }
    if (as !== null) {
      if (!as.isDirectory()) throw new UsageError(`${command}: --out ${out.path} cannot be created: ${anc} is not a directory`);
      writable(command, out.path, anc);
      return;
    }
    const up = path.dirname(anc);
    if (up === anc) return;
    anc = up;
  }
}

function writable(command: string, out: string, dir: string): void {
  try {
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
  } catch (e) {
    throw new UsageError(`${command}: --out ${out} cannot be written: no permission to write in ${dir} (${code(e)})`);
  }
}
