/**
 * `sharpness merge` for landscapes: shards of one landscape (same fingerprint) that
 * together hold every item exactly once become the document a single run writes, equal
 * to it but for cost.seconds (here the sum of the shards' seconds).
 */
import { InputError } from '../errors.ts';
import type { ResultDocument } from '../results/resultDocument.ts';
import { canonicalJson } from '../io/canonicalJson.ts';
import { assembleLandscape, type LandscapeResult } from './assembleLandscape.ts';
import { firstDifference } from './landscapeFingerprint.ts';
import { headerOf, LANDSCAPE_SCHEMA, landscapeDocument, type LandscapeShardResult } from './landscapeDocument.ts';
import type { ItemRecord } from './landscapeTypes.ts';

export interface NamedShard {
  /** How messages name it (its file). */
  name: string;
  doc: ResultDocument<LandscapeShardResult>;
}

function listSome(xs: readonly (number | string)[], max = 8): string {
  return xs.length <= max ? xs.join(', ') : `${xs.slice(0, max).join(', ')}, ... (${xs.length} in all)`;
}

export function mergeLandscapeShards(shards: readonly NamedShard[]): ResultDocument<LandscapeResult> {
  if (shards.length === 0) throw new InputError('merge: no shards given');
  const first = shards[0]!;
  const r0 = first.doc.result;
  const header0 = headerOf(first.doc);
  for (const s of shards.slice(1)) {
    const r = s.doc.result;
    if (r.fingerprint !== r0.fingerprint) {
      const diff = firstDifference(r.identity, r0.identity) ?? 'fingerprints differ';
      throw new InputError(`merge: ${s.name} and ${first.name} are shards of different landscapes (${diff}; ${s.name} vs ${first.name})`);
    }
    const h = firstDifference(headerOf(s.doc), header0);
    if (h) throw new InputError(`merge: ${s.name} and ${first.name} were run differently (${h}); rerun the shards with the same options`);
    const f = firstDifference(r.frame, r0.frame);
    if (f) throw new InputError(`merge: ${s.name} and ${first.name} have different grids (frame.${f})`);
    if (r.shard.n !== r0.shard.n) {
      throw new InputError(`merge: ${s.name} is shard ${r.shard.k}/${r.shard.n} but ${first.name} is ${r0.shard.k}/${r0.shard.n}; shards of one split have the same n`);
    }
  }
  const frame = r0.frame;
  const owner: (number | undefined)[] = new Array(frame.itemCount);
  const records: ItemRecord[] = [];
  shards.forEach((s, j) => {
    for (const item of s.doc.result.items) {
      const prev = owner[item.i];
      if (prev !== undefined) {
        const p = shards[prev]!;
        throw new InputError(
          prev === j
            ? `merge: item ${item.i} appears twice in ${s.name}`
            : p.name === s.name
              ? `merge: ${s.name} is given twice; give each shard once`
              : `merge: item ${item.i} is in both ${p.name} (shard ${p.doc.result.shard.k}/${p.doc.result.shard.n}) and ${s.name} (shard ${s.doc.result.shard.k}/${s.doc.result.shard.n}); give each shard once`,
        );
      }
      owner[item.i] = j;
      records.push(item);
    }
  });
  const missing: number[] = [];
  for (let i = 0; i < frame.itemCount; i++) if (owner[i] === undefined) missing.push(i);
  if (missing.length > 0) {
    const n = r0.shard.n;
    const shardsMissing = [...new Set(missing.map((i) => (i % n) + 1))].sort((a, b) => a - b);
    throw new InputError(
      `merge: ${missing.length} of ${frame.itemCount} items are missing (items ${listSome(missing)}); missing shard${shardsMissing.length === 1 ? '' : 's'} ${shardsMissing.map((k) => `${k}/${n}`).join(', ')}`,
    );
  }
  const result = assembleLandscape(frame, r0.fingerprint, records);
  const cost = { seconds: 0, lossEvaluations: 0, gradients: 0, hvps: 0 };
  for (const s of shards) {
    cost.seconds += s.doc.cost.seconds;
    cost.lossEvaluations += s.doc.cost.lossEvaluations;
    cost.gradients += s.doc.cost.gradients;
    cost.hvps += s.doc.cost.hvps;
  }
  return landscapeDocument(LANDSCAPE_SCHEMA, header0, result, cost);
}

/** Whether two landscape documents are the same apart from cost.seconds. */
export function sameLandscape(a: ResultDocument, b: ResultDocument): boolean {
  const strip = (d: ResultDocument) => canonicalJson({ ...d, cost: { ...d.cost, seconds: 0 } });
  return strip(a) === strip(b);
}
