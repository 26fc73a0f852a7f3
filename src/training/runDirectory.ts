/**
 * A training run's directory (`--out DIR`), the file-system edge of training:
 *
 *   DIR/state/epoch-K/  the resumable state after the last completed epoch K, written
 *                       atomically as a whole under a new name, after which older
 *                       epoch-J directories are removed (so a crash or Ctrl-C at any
 *                       moment leaves a complete state): a checkpoint (model.json, weights.bin,
 *                       sharpness.json; model.onnx for ONNX runs) of all current weights
 *                       (BatchNorm moving statistics included), momentum.bin (float32 LE, trainable-weight order),
 *                       swa.bin (float64 LE, all weights; SWA only) and state.json
 *                       (epoch, iteration, counts, the run's fingerprint, the log so far)
 *   DIR/train-log.json  the log (per epoch: train/eval loss and accuracy, lr; per
 *                       iteration: lr and loss), rewritten atomically after every epoch
 *   DIR/final, DIR/epoch-K, DIR/snapshot-K, DIR/swa, DIR/sgd-last   checkpoints
 */
import * as path from 'node:path';
import { tf, tfl } from '../engine/tf.ts';
import { InputError } from '../errors.ts';
import { writeDirAtomic, writeJsonAtomic, type FileContents } from '../io/atomicWrite.ts';
import { type Sidecar } from '../io/checkpoint.ts';
import { artifactsToFiles } from '../io/fsIOHandler.ts';
import { SIDECAR_JSON } from '../io/checkpointFiles.ts';
import { directoryEntries, ensureDirectory, entriesOrNone, pathExists, readBytes, readText, readTextOrUndefined, removeDirectory } from '../io/runDirectoryFiles.ts';
import type { TrainerState } from './trainLoop.ts';

export const STATE_DIR = 'state';
export const TRAIN_LOG = 'train-log.json';
export const STATE_JSON = 'state.json';
const MOMENTUM_BIN = 'momentum.bin';
const SWA_BIN = 'swa.bin';
const STATE_SCHEMA = 'sharpness/train-state@1';

export type RunDirectoryKind = 'absent' | 'empty' | 'run' | 'foreign';

/** What `dir` holds: nothing, an empty directory, a run (has state/ or train-log.json), or something else. */
export async function inspectRunDirectory(dir: string): Promise<RunDirectoryKind> {
  let entries: string[] | 'absent' | 'not-a-directory';
  try {
    entries = await directoryEntries(dir);
  } catch (e) {
    throw new InputError(`train: cannot read --out ${dir} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  if (entries === 'absent') return 'absent';
  if (entries === 'not-a-directory') return 'foreign';
  if (entries.length === 0) return 'empty';
  if (entries.includes(STATE_DIR) || entries.includes(TRAIN_LOG)) return 'run';
  return 'foreign';
}

function f32Bytes(a: Float32Array): Uint8Array {
  const out = new Uint8Array(a.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) dv.setFloat32(i * 4, a[i]!, true);
  return out;
}

function f64Bytes(a: Float64Array): Uint8Array {
  const out = new Uint8Array(a.length * 8);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) dv.setFloat64(i * 8, a[i]!, true);
  return out;
}

function readF32(bytes: Uint8Array, file: string, expected: number): Float32Array {
  if (bytes.byteLength !== expected * 4) throw new InputError(`train: ${file} has ${bytes.byteLength} bytes, expected ${expected * 4}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(expected);
  for (let i = 0; i < expected; i++) out[i] = dv.getFloat32(i * 4, true);
  return out;
}

function readF64(bytes: Uint8Array, file: string, expected: number): Float64Array {
  if (bytes.byteLength !== expected * 8) throw new InputError(`train: ${file} has ${bytes.byteLength} bytes, expected ${expected * 8}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(expected);
  for (let i = 0; i < expected; i++) out[i] = dv.getFloat64(i * 8, true);
  return out;
}

/** The checkpoint files (model.json, weights.bin) of a model, in memory. */
export async function modelFiles(model: tfl.LayersModel): Promise<Record<string, FileContents>> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
    }),
  );
  if (!artifacts) throw new InputError('train: saving the state produced no model artifacts');
  return artifactsToFiles(artifacts);
}

export interface SavedStateMeta {
  /** Identifies the run (options, data, initial weights): a resume must match it. */
  fingerprint: Record<string, unknown>;
  /** The log so far. */
  log: unknown;
  /** Extra sidecar fields for state/sharpness.json. */
  sidecar: Sidecar;
}

/** The state directories present (DIR/state/epoch-K), newest first. */
async function stateDirs(dir: string): Promise<{ epoch: number; dir: string }[]> {
  const names = await entriesOrNone(path.join(dir, STATE_DIR));
  return names
    .map((n) => /^epoch-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ epoch: Number(m[1]), dir: path.join(dir, STATE_DIR, m[0]) }))
    .sort((a, b) => b.epoch - a.epoch);
}

/** Where the state after `epoch` is written. */
export function stateDirFor(dir: string, epoch: number): string {
  return path.join(dir, STATE_DIR, `epoch-${epoch}`);
}

/**
 * Writes DIR/state/epoch-K atomically (K = state.epoch), then removes older state
 * directories. `checkpoint` holds the files of a checkpoint of `state.weights` (RunModel.files:
 * saved in the model's own format and topology).
 */
export async function saveTrainState(dir: string, checkpoint: Record<string, FileContents>, state: TrainerState, meta: SavedStateMeta): Promise<string> {
  const files = { ...checkpoint };
  files[SIDECAR_JSON] = `${JSON.stringify(meta.sidecar, null, 2)}\n`;
  const momentumFlat = new Float32Array(state.momentum.reduce((a, m) => a + m.length, 0));
  let off = 0;
  for (const m of state.momentum) {
    momentumFlat.set(m, off);
    off += m.length;
  }
  files[MOMENTUM_BIN] = f32Bytes(momentumFlat);
  if (state.swa) files[SWA_BIN] = f64Bytes(state.swa.values);
  files[STATE_JSON] = `${JSON.stringify(
    {
      schema: STATE_SCHEMA,
      epoch: state.epoch,
      iteration: state.iteration,
      snapshots: state.snapshots,
      swaCount: state.swa ? state.swa.count : null,
      momentumSizes: state.momentum.map((m) => m.length),
      fingerprint: meta.fingerprint,
      log: meta.log,
    },
    null,
    2,
  )}\n`;
  const target = stateDirFor(dir, state.epoch);
  await writeDirAtomic(target, files, { overwrite: true });
  for (const old of await stateDirs(dir)) {
    if (old.epoch < state.epoch) await removeDirectory(old.dir);
  }
  return target;
}

export interface LoadedState {
  state: TrainerState;
  fingerprint: Record<string, unknown>;
  log: unknown;
  /** The state directory read. */
  dir: string;
}

/**
 * Reads the newest complete DIR/state/epoch-K; undefined when there is none. `readWeights`
 * reads the flat weights of its checkpoint (RunModel.readFlatWeights).
 */
export async function loadTrainState(dir: string, readWeights: (checkpointDir: string) => Promise<Float32Array>): Promise<LoadedState | undefined> {
  let sdir: string | undefined;
  for (const d of await stateDirs(dir)) {
    if (await pathExists(path.join(d.dir, STATE_JSON))) {
      sdir = d.dir;
      break;
    }
  }
  if (!sdir) return undefined;
  const sjson = path.join(sdir, STATE_JSON);
  let meta: {
    schema?: string;
    epoch: number;
    iteration: number;
    snapshots: number;
    swaCount: number | null;
    momentumSizes: number[];
    fingerprint: Record<string, unknown>;
    log: unknown;
  };
  try {
    meta = JSON.parse(await readText(sjson));
  } catch (e) {
    throw new InputError(`train: ${sjson} is not valid JSON (${(e as Error).message.split('\n')[0]}); remove ${dir} to start over`);
  }
  if (meta.schema !== STATE_SCHEMA) throw new InputError(`train: ${sjson} has schema ${String(meta.schema)}, expected ${STATE_SCHEMA}`);
  const weights = await readWeights(sdir);
  const total = meta.momentumSizes.reduce((a, b) => a + b, 0);
  const mflat = readF32(await readBytes(path.join(sdir, MOMENTUM_BIN)), path.join(sdir, MOMENTUM_BIN), total);
  const momentum: Float32Array[] = [];
  let off = 0;
  for (const n of meta.momentumSizes) {
    momentum.push(mflat.slice(off, off + n));
    off += n;
  }
  let swa: TrainerState['swa'] = null;
  if (meta.swaCount !== null) {
    const file = path.join(sdir, SWA_BIN);
    swa = { values: readF64(await readBytes(file), file, weights.length), count: meta.swaCount };
  }
  return {
    state: { epoch: meta.epoch, iteration: meta.iteration, weights, momentum, swa, snapshots: meta.snapshots },
    fingerprint: meta.fingerprint,
    log: meta.log,
    dir: sdir,
  };
}

/** DIR/train-log.json parsed; undefined when absent. */
export async function readTrainLog(dir: string): Promise<Record<string, unknown> | undefined> {
  const file = path.join(dir, TRAIN_LOG);
  const text = await readTextOrUndefined(file);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new InputError(`train: ${file} is not valid JSON (${(e as Error).message.split('\n')[0]}); remove ${dir} to start over`);
  }
}

export async function writeTrainLog(dir: string, log: unknown): Promise<void> {
  await ensureDirectory(dir);
  await writeJsonAtomic(path.join(dir, TRAIN_LOG), log);
}
