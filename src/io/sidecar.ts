/**
 * The optional sidecar `sharpness.json` next to a checkpoint's model.json: how the
 * checkpoint was made (method, hyperparameters, epoch, seed) and what it scored.
 * Unknown keys are kept as they are, so newer sidecars still load.
 */
import * as path from 'node:path';
import { InputError } from '../errors.ts';
import { SIDECAR_JSON } from './checkpointFiles.ts';
import { MAX_BYTES, jsonErrorWhere, readInputFileSync } from './safeRead.ts';
import { MAX_JSON_DEPTH, jsonDepth } from './parseJsonText.ts';

export interface Sidecar {
  /** Training method, e.g. 'sgd', 'sam', 'swa', 'fge'. */
  method?: string;
  hyperparameters?: Record<string, unknown>;
  /** Epoch at which the checkpoint was taken (integer >= 0). */
  epoch?: number;
  /** Seed of the run that produced it (integer >= 0). */
  seed?: number;
  /** Named scalar scores, e.g. {trainLoss: 0.01, testError: 0.012}. */
  metrics?: Record<string, number>;
  /** The checkpoint this one was derived from (a path or a sha256). */
  parent?: string;
  /** The program that wrote it, e.g. 'sharpness 0.1.0'. */
  createdBy?: string;
  [key: string]: unknown;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function show(x: unknown): string {
  const s = typeof x === 'string' ? `'${x}'` : (JSON.stringify(x) ?? String(x));
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Checks a sidecar object; `where` names it in messages (a file path, or an argument). */
export function validateSidecar(value: unknown, where: string): Sidecar {
  const bad = (what: string): never => {
    throw new InputError(`checkpoint: ${where} ${what}`);
  };
  if (!isPlainObject(value)) bad(`must be a JSON object, got ${show(value)}`);
  const v = value as Record<string, unknown>;
  for (const k of ['method', 'parent', 'createdBy'] as const) {
    if (v[k] !== undefined && (typeof v[k] !== 'string' || v[k] === '')) bad(`has ${k} ${show(v[k])}; expected a non-empty string`);
  }
  for (const k of ['epoch', 'seed'] as const) {
    if (v[k] !== undefined && (typeof v[k] !== 'number' || !Number.isSafeInteger(v[k]) || (v[k] as number) < 0)) {
      bad(`has ${k} ${show(v[k])}; expected an integer >= 0`);
    }
  }
  if (v['hyperparameters'] !== undefined && !isPlainObject(v['hyperparameters'])) {
    bad(`has hyperparameters ${show(v['hyperparameters'])}; expected an object`);
  }
  if (v['metrics'] !== undefined) {
    if (!isPlainObject(v['metrics'])) bad(`has metrics ${show(v['metrics'])}; expected an object of numbers`);
    for (const [k, x] of Object.entries(v['metrics'] as Record<string, unknown>)) {
      if (typeof x !== 'number' || !Number.isFinite(x)) bad(`has metrics.${k} ${show(x)}; expected a finite number`);
    }
  }
  return v as Sidecar;
}

/** Parses the text of a sidecar file. */
export function parseSidecar(text: string, file: string): Sidecar {
  if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw new InputError(`checkpoint: ${file} nests JSON more than ${MAX_JSON_DEPTH} levels deep; fix or remove the sidecar`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new InputError(`checkpoint: ${file} is not valid JSON (${jsonErrorWhere(e, text)}); fix or remove the sidecar`);
  }
  return validateSidecar(parsed, file);
}

/** Reads `dir/sharpness.json`; undefined when there is none. */
export async function readSidecar(dir: string): Promise<Sidecar | undefined> {
  const file = path.join(dir, SIDECAR_JSON);
  // Inside the checkpoint directory, a regular file (a FIFO cannot hang us), bounded in size.
  const raw = readInputFileSync(file, { what: 'checkpoint', within: dir, withinName: `the checkpoint directory ${dir}`, maxBytes: MAX_BYTES.smallJson, optional: true });
  if (raw === null) return undefined;
  return parseSidecar(raw.toString('utf8'), file);
}
