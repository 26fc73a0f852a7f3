/**
 * The landscape's own shard and progress formats of earlier versions
 * (`sharpness/landscape-shard@1`, `sharpness/landscape-progress@1`: items `{i, trainLoss, ...}`,
 * a shard carrying the frame) in the item-job formats of this version
 * (parallel/itemDocuments.ts): so a half-done run of an earlier version resumes, and its
 * shards merge, even with shards of this version (the identity, and so the fingerprint, is
 * the same). Pure.
 */
import { InputError } from '../errors.ts';
import { progressTag, shardTag } from '../results/itemDocuments.ts';
import { LANDSCAPE_PROGRESS_TAG, LANDSCAPE_SHARD_TAG, landscapeProgressSchema, landscapeShardSchema } from '../results/landscapeDocuments.ts';
import { validateJson } from '../results/validateJson.ts';
import { pickValues } from './assembleLandscape.ts';
import type { LandscapeSpec } from './landscapeOptions.ts';
import type { ItemRecord, LandscapeContext, LandscapeFrame, PointValues } from './landscapeTypes.ts';

/** A landscape job's description (cli/jobs/landscapeJob.ts). */
export interface LandscapeDescription {
  spec: LandscapeSpec;
  /** The options as the result records them: the spec, --backend and --threads. */
  recorded: Record<string, unknown>;
}

/** The record of an item: its values, eval fields only with eval data. */
export type LandscapeRecord = PointValues;

const entries = (items: readonly ItemRecord[], hasEval: boolean) => items.map((r) => ({ i: r.i, record: pickValues(r, hasEval) }));

/** Options an old shard records that the spec does not hold (how it ran, not what). */
const RUN_OPTIONS = ['backend', 'threads'];

/**
 * Passes per item of an old shard: its loss evaluations over its items; a shard without
 * items (more shards than items) tells nothing, and one pass per data set is assumed.
 */
function passesOf(lossEvaluations: number, items: number, frame: LandscapeFrame): number {
  return items > 0 ? lossEvaluations / items : frame.hasEval ? 2 : 1;
}

/** An old landscape shard or progress file (tag `tag`) in this version's format; InputError naming `where` if it is not valid. */
export function upgradeLandscapeFile(kind: 'shard' | 'progress', tag: string, value: unknown, where: string): unknown {
  if (kind === 'progress') {
    if (tag !== LANDSCAPE_PROGRESS_TAG) throw new InputError(`${where} is a landscape progress file of an unknown version (schema ${tag}); remove it to start over`);
    const v = validateJson(landscapeProgressSchema, value, where, '', 'landscape progress file', 'remove it to start over');
    // Which values an item holds says whether the run had eval data.
    const hasEval = v.items.some((r) => 'evalLoss' in r || 'evalError' in r);
    return { schema: progressTag('landscape'), fingerprint: v.fingerprint, identity: v.identity, itemCount: v.itemCount, seconds: v.seconds, items: entries(v.items as ItemRecord[], hasEval) };
  }
  if (tag !== LANDSCAPE_SHARD_TAG) throw new InputError(`${where} is a landscape shard of an unknown version (schema ${tag})`);
  const doc = validateJson(landscapeShardSchema, value, where, '', 'landscape shard');
  const { schema: _s, result: r, cost, ...rest } = doc;
  const frame = r.frame as LandscapeFrame;
  const spec = Object.fromEntries(Object.entries(doc.options).filter(([k]) => !RUN_OPTIONS.includes(k))) as unknown as LandscapeSpec;
  const description: LandscapeDescription = { spec, recorded: doc.options };
  const context: LandscapeContext = { frame, passesPerItem: passesOf(cost.lossEvaluations, r.items.length, frame) };
  return {
    schema: shardTag('landscape'),
    ...rest,
    result: {
      fingerprint: r.fingerprint,
      identity: r.identity,
      description,
      shard: r.shard,
      itemCount: frame.itemCount,
      context,
      items: entries(r.items as ItemRecord[], frame.hasEval),
    },
    cost,
  };
}
