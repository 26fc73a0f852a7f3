/**
 * The three JSON documents of a landscape:
 * - the result, schema `sharpness/landscape@1` (a ResultDocument whose result is a
 *   LandscapeResult);
 * - a shard, schema `sharpness/landscape-shard@1`: the same header, and as result the frame
 *   and the items of one shard, which `sharpness merge` combines into the result;
 * - the progress file, schema `sharpness/landscape-progress@1`, next to --out: the items
 *   done so far, with the landscape's identity, read back by a rerun to resume.
 * Every function here is pure (parsing and building); the command line does the I/O.
 */
import { InputError, UsageError } from '../errors.ts';
import type { CheckpointRef, DataRef, ResultCost, ResultDocument } from '../results/resultDocument.ts';
import { makeResultDocument } from '../results/resultDocument.ts';
import {
  LANDSCAPE_PROGRESS_TAG as LANDSCAPE_PROGRESS_SCHEMA,
  LANDSCAPE_SHARD_TAG as LANDSCAPE_SHARD_SCHEMA,
  LANDSCAPE_TAG as LANDSCAPE_SCHEMA,
  landscapeProgressSchema,
  landscapeShardSchema,
} from '../results/landscapeDocuments.ts';
import { parseJsonText } from '../io/parseJsonText.ts';
import { tagOf } from '../results/resultDocuments.ts';
import { validateJson } from '../results/validateJson.ts';
import type { LandscapeResult } from './assembleLandscape.ts';
import { firstDifference, type LandscapeIdentity } from './landscapeFingerprint.ts';
import type { Shard } from './landscapeOptions.ts';
import type { ItemRecord, LandscapeFrame } from './landscapeTypes.ts';

export {
  LANDSCAPE_PROGRESS_TAG as LANDSCAPE_PROGRESS_SCHEMA,
  LANDSCAPE_SHARD_TAG as LANDSCAPE_SHARD_SCHEMA,
  LANDSCAPE_TAG as LANDSCAPE_SCHEMA,
} from '../results/landscapeDocuments.ts';

/** The fields of a landscape document besides schema, tool, result and cost. */
export interface LandscapeHeader {
  options: Record<string, unknown>;
  seed: number;
  checkpoint: CheckpointRef;
  /** line and plane: every checkpoint, first included. */
  checkpoints?: CheckpointRef[];
  data: DataRef;
  evalData?: DataRef;
  loss: string;
  bn: string;
  l2: number;
  engine: ResultDocument['engine'];
}

export interface LandscapeShardResult {
  fingerprint: string;
  identity: LandscapeIdentity;
  shard: Shard;
  frame: LandscapeFrame;
  /** The shard's items, ascending. */
  items: ItemRecord[];
}

export interface LandscapeProgress {
  schema: typeof LANDSCAPE_PROGRESS_SCHEMA;
  fingerprint: string;
  identity: LandscapeIdentity;
  itemCount: number;
  /** Compute time spent on the items so far, over all runs. */
  seconds: number;
  items: ItemRecord[];
}

/** The document for `result` (a LandscapeResult or a shard), fields always in one order. */
export function landscapeDocument<R>(schema: string, header: LandscapeHeader, result: R, cost: ResultCost): ResultDocument<R> {
  return makeResultDocument<R>({
    schema,
    command: 'landscape',
    options: header.options,
    seed: header.seed,
    checkpoint: header.checkpoint,
    ...(header.checkpoints ? { checkpoints: header.checkpoints } : {}),
    data: header.data,
    ...(header.evalData ? { evalData: header.evalData } : {}),
    loss: header.loss,
    bn: header.bn,
    l2: header.l2,
    engine: header.engine,
    result,
    cost: { seconds: cost.seconds, lossEvaluations: cost.lossEvaluations, gradients: cost.gradients, hvps: cost.hvps },
  });
}

/** The header of a parsed landscape or shard document. */
export function headerOf(doc: ResultDocument): LandscapeHeader {
  const h: LandscapeHeader = {
    options: doc.options,
    seed: doc.seed,
    checkpoint: doc.checkpoint!,
    data: doc.data!,
    loss: doc.loss!,
    bn: doc.bn!,
    l2: doc.l2!,
    engine: doc.engine,
  };
  if (doc.checkpoints) h.checkpoints = doc.checkpoints;
  if (doc.evalData) h.evalData = doc.evalData;
  return h;
}

/** The cost of `items` items at `passes` data passes each (the same however they were computed). */
export function itemsCost(items: number, passes: number, seconds: number): ResultCost {
  return { seconds, lossEvaluations: items * passes, gradients: 0, hvps: 0 };
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function checkRecords(items: unknown, where: string, itemCount: number): ItemRecord[] {
  if (!Array.isArray(items)) throw new InputError(`${where} has no items list`);
  const okNum = (v: unknown) => v === null || v === undefined || typeof v === 'number';
  for (const r of items) {
    if (!isObject(r) || !Number.isInteger(r['i']) || (r['i'] as number) < 0 || (r['i'] as number) >= itemCount) {
      throw new InputError(`${where} has an item without a valid index in [0, ${itemCount}): ${JSON.stringify(r).slice(0, 80)}`);
    }
    if (!okNum(r['trainLoss']) || !okNum(r['trainError']) || !okNum(r['evalLoss']) || !okNum(r['evalError'])) {
      throw new InputError(`${where} has item ${r['i']} with a value that is not a number`);
    }
  }
  return items as ItemRecord[];
}

export function makeProgress(fingerprint: string, identity: LandscapeIdentity, itemCount: number, seconds: number, items: ItemRecord[]): LandscapeProgress {
  return { schema: LANDSCAPE_PROGRESS_SCHEMA, fingerprint, identity, itemCount, seconds, items };
}

/**
 * Reads a progress file's text for the landscape `identity`. A file of another landscape is
 * a UsageError naming the first difference (a rerun must not mix two landscapes).
 */
export function parseProgress(text: string, file: string, fingerprint: string, identity: LandscapeIdentity, itemCount: number): LandscapeProgress {
  const value = parseJsonText(text, file, 'landscape: the progress file ');
  if (tagOf(value) !== LANDSCAPE_PROGRESS_SCHEMA) {
    throw new InputError(`landscape: ${file} is not a landscape progress file (schema ${LANDSCAPE_PROGRESS_SCHEMA}); remove it or choose another --out`);
  }
  const v = validateJson(landscapeProgressSchema, value, file, 'landscape: ', 'landscape progress file', 'remove it to start over');
  if (v.fingerprint !== fingerprint) {
    const diff = firstDifference(v.identity, identity);
    throw new UsageError(
      `landscape: ${file} holds partial results of a different landscape (${diff ?? 'fingerprints differ'}; saved vs this command); rerun the command that made it, remove the file, or choose another --out`,
    );
  }
  if (v.itemCount !== itemCount) throw new InputError(`landscape: ${file} is for ${v.itemCount} items, this landscape has ${itemCount}`);
  const seconds = Number.isFinite(v.seconds) ? v.seconds : 0;
  return makeProgress(fingerprint, identity, itemCount, seconds, checkRecords(v.items, `landscape: ${file}`, itemCount));
}

/** A parsed shard document, checked for shape. */
export function parseShardDocument(value: unknown, file: string): ResultDocument<LandscapeShardResult> {
  if (tagOf(value) !== LANDSCAPE_SHARD_SCHEMA) {
    throw new InputError(`merge: ${file} is not a landscape shard (schema ${LANDSCAPE_SHARD_SCHEMA})`);
  }
  const doc = validateJson(landscapeShardSchema, value, file, 'merge: ', 'landscape shard');
  checkRecords(doc.result.items, `merge: ${file}`, doc.result.frame.itemCount);
  return value as unknown as ResultDocument<LandscapeShardResult>;
}

/** Checks that a parsed document is a landscape result. */
export function isLandscapeDocument(value: unknown): value is ResultDocument<LandscapeResult> {
  return tagOf(value) === LANDSCAPE_SCHEMA && isObject((value as { result?: unknown }).result);
}
