/**
 * Assembling and merging, without an engine: shards combine into exactly the document a
 * single run writes; mismatched, missing and duplicated shards are refused by name.
 */
import test from 'ava';
import { InputError, UsageError } from '../../src/errors.ts';
import { assembleLandscape, pointCoordinates } from '../../src/landscape/assembleLandscape.ts';
import { firstDifference, landscapeFingerprint, landscapeIdentity } from '../../src/landscape/landscapeFingerprint.ts';
import {
  itemsCost,
  LANDSCAPE_SCHEMA,
  LANDSCAPE_SHARD_SCHEMA,
  landscapeDocument,
  makeProgress,
  parseProgress,
  parseShardDocument,
  type LandscapeHeader,
} from '../../src/landscape/landscapeDocument.ts';
import { mergeLandscapeShards, sameLandscape } from '../../src/landscape/mergeLandscapeShards.ts';
import { resolveLandscapeSpec, shardIndices } from '../../src/landscape/landscapeOptions.ts';
import type { ItemRecord, LandscapeFrame } from '../../src/landscape/landscapeTypes.ts';

const spec = resolveLandscapeSpec({ checkpoint: 'runs/a', rays: 2, range: '0:1:3', data: 'synthetic:blobs:10', evalData: 'synthetic:blobs:5', loss: 'auto', bn: 'eval', l2: 0, batchSize: 100, seed: 1 });
const identity = landscapeIdentity({
  version: '0.1.0',
  spec,
  checkpointSha256: ['a'.repeat(64)],
  data: { sha256: 'd'.repeat(64), n: 10 },
  evalData: { sha256: 'e'.repeat(64), n: 5 },
  loss: 'ce',
  engine: { backend: 'cpu', tfjsVersion: '4.22.0' },
});
const fingerprint = landscapeFingerprint(identity);

const frame: LandscapeFrame = {
  kind: 'rays',
  axes: { x: { name: 't', values: [0, 0.5, 1] } },
  pointCount: 6,
  itemCount: 7,
  rays: [
    { index: 0, norm: 2 },
    { index: 1, norm: 3 },
  ],
  checkpoints: [{ label: 'a', path: 'runs/a', sha256: 'a'.repeat(64), x: 0 }],
  directions: { norm: 'filter', ignore: ['bias', 'bn'], seed: 1 },
  bn: 'eval',
  hasEval: true,
};

const header: LandscapeHeader = {
  options: { ...spec, backend: 'cpu' },
  seed: 1,
  checkpoint: { path: 'runs/a', sha256: 'a'.repeat(64), parameters: 10, trainableParameters: 10 },
  data: { spec: 'synthetic:blobs:10', samples: 10, sha256: 'd'.repeat(64) },
  evalData: { spec: 'synthetic:blobs:5', samples: 5, sha256: 'e'.repeat(64) },
  loss: 'ce',
  bn: 'eval',
  l2: 0,
  engine: { backend: 'cpu', device: 'cpu', threads: 1, tfjsVersion: '4.22.0' },
};

const value = (i: number): ItemRecord => ({ i, trainLoss: 1 + i / 7, trainError: i / 10, evalLoss: i === 3 ? null : 2 + i / 3, evalError: 0.2 });
const all = Array.from({ length: frame.itemCount }, (_, i) => value(i));

function shardDoc(k: number, n: number, f = frame, fp = fingerprint, id = identity, h = header) {
  const items = shardIndices(f.itemCount, { k, n }).map(value);
  return JSON.parse(JSON.stringify(landscapeDocument(LANDSCAPE_SHARD_SCHEMA, h, { fingerprint: fp, identity: id, shard: { k, n }, frame: f, items }, itemsCost(items.length, 2, 1.5))));
}

const single = () => landscapeDocument(LANDSCAPE_SCHEMA, header, assembleLandscape(frame, fingerprint, all), itemsCost(all.length, 2, 4));

test('assemble: points in item order with coordinates and distances, rays as series, checkpoints with their values', (t) => {
  const r = assembleLandscape(frame, fingerprint, [...all].reverse());
  t.is(r.points.length, 6);
  t.deepEqual(r.points[4], { i: 4, ray: 1, x: 0.5, distance: 1.5, ...(({ i: _i, ...v }) => v)(value(4)) });
  t.deepEqual(pointCoordinates(frame, 5), { ray: 1, x: 1 });
  t.deepEqual(r.rays!.map((s) => s.series.map((p) => p.distance)), [
    [0, 1, 2],
    [0, 1.5, 3],
  ]);
  t.deepEqual(Object.keys(r.rays![0]!.series[0]!), ['t', 'distance', 'trainLoss', 'trainError', 'evalLoss', 'evalError']);
  t.is(r.checkpoints[0]!.trainLoss, value(6).trainLoss);
  t.deepEqual(r.base, { trainLoss: value(6).trainLoss, trainError: value(6).trainError, evalLoss: value(6).evalLoss, evalError: 0.2 });
  t.is(r.summary.minTrainLoss, 1);
  t.throws(() => assembleLandscape(frame, fingerprint, all.slice(1)), { instanceOf: InputError, message: /item 0 of 7 is missing/ });
  t.throws(() => assembleLandscape(frame, fingerprint, [...all, value(2)]), { instanceOf: InputError, message: /item 2 appears twice/ });
});

test('merge: shards 1/3, 2/3, 3/3 in any order give the single-run document, text equal but for cost.seconds', (t) => {
  const merged = mergeLandscapeShards([3, 1, 2].map((k) => ({ name: `s${k}.json`, doc: parseShardDocument(shardDoc(k, 3), `s${k}.json`) })));
  const one = JSON.parse(JSON.stringify(single()));
  t.true(sameLandscape(merged, one));
  t.is(merged.cost.seconds, 4.5);
  t.is(merged.cost.lossEvaluations, one.cost.lossEvaluations);
  const text = (d: object) => JSON.stringify({ ...d, cost: { ...(d as { cost: object }).cost, seconds: 0 } }, null, 2);
  t.is(text(merged), text(one));
  t.is(merged.schema, 'sharpness/landscape@1');
});

test('merge refuses shards of different landscapes, naming the difference', (t) => {
  const otherSpec = { ...spec, seed: 2 };
  const id2 = landscapeIdentity({ version: '0.1.0', spec: otherSpec, checkpointSha256: ['a'.repeat(64)], data: { sha256: 'd'.repeat(64), n: 10 }, evalData: { sha256: 'e'.repeat(64), n: 5 }, loss: 'ce', engine: { backend: 'cpu', tfjsVersion: '4.22.0' } });
  const e = t.throws(
    () =>
      mergeLandscapeShards([
        { name: 's1.json', doc: parseShardDocument(shardDoc(1, 2), 's1.json') },
        { name: 's2.json', doc: parseShardDocument(shardDoc(2, 2, frame, landscapeFingerprint(id2), id2), 's2.json') },
      ]),
    { instanceOf: InputError },
  );
  t.regex(e!.message, /s2\.json and s1\.json are shards of different landscapes \(spec\.seed: 2 vs 1/);
  const h2 = { ...header, options: { ...header.options, backend: 'wasm' } };
  t.throws(
    () =>
      mergeLandscapeShards([
        { name: 's1.json', doc: parseShardDocument(shardDoc(1, 2), 's1.json') },
        { name: 's2.json', doc: parseShardDocument(shardDoc(2, 2, frame, fingerprint, identity, h2), 's2.json') },
      ]),
    { instanceOf: InputError, message: /were run differently \(options\.backend: "wasm" vs "cpu"\)/ },
  );
});

test('merge names missing shards and duplicated items', (t) => {
  const e = t.throws(() => mergeLandscapeShards([1, 3].map((k) => ({ name: `s${k}`, doc: parseShardDocument(shardDoc(k, 3), `s${k}`) }))), { instanceOf: InputError });
  t.regex(e!.message, /2 of 7 items are missing \(items 1, 4\); missing shard 2\/3/);
  const d = t.throws(() => mergeLandscapeShards([1, 2, 2, 3].map((k, j) => ({ name: `f${j}`, doc: parseShardDocument(shardDoc(k, 3), `f${j}`) }))), { instanceOf: InputError });
  t.regex(d!.message, /item 1 is in both f1 \(shard 2\/3\) and f2 \(shard 2\/3\)/);
  t.throws(() => mergeLandscapeShards([1, 2].map((k) => ({ name: `s${k}`, doc: parseShardDocument(shardDoc(k, k + 1), `s${k}`) }))), {
    instanceOf: InputError,
    message: /shard 2\/3 but s1 is 1\/2/,
  });
  t.throws(() => parseShardDocument({ schema: 'sharpness/ball@1' }, 'x.json'), { instanceOf: InputError, message: /x\.json is not a landscape shard/ });
});

test('progress files: read back for the same landscape; another landscape is refused naming the difference', (t) => {
  const p = makeProgress(fingerprint, identity, 7, 3.5, [value(0), value(5)]);
  const text = JSON.stringify(p);
  const back = parseProgress(text, 'out.json.partial.json', fingerprint, identity, 7);
  t.deepEqual(back.items, [value(0), value(5)]);
  t.is(back.seconds, 3.5);
  const id2 = { ...identity, spec: { ...identity.spec, range: '0:2:3' } };
  const e = t.throws(() => parseProgress(text, 'out.json.partial.json', landscapeFingerprint(id2), id2, 7), { instanceOf: UsageError });
  t.regex(e!.message, /holds partial results of a different landscape \(spec\.range: "0:1:3" vs "0:2:3"/);
  t.throws(() => parseProgress('{', 'p', fingerprint, identity, 7), { instanceOf: InputError, message: /not valid JSON/ });
  t.throws(() => parseProgress(JSON.stringify({ ...p, items: [{ i: 9 }] }), 'p', fingerprint, identity, 7), { instanceOf: InputError, message: /valid index/ });
});

test('firstDifference walks objects and arrays', (t) => {
  t.is(firstDifference({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }), null);
  t.is(firstDifference({ a: [1, { b: 2 }] }, { a: [1, { b: 3 }] }), 'a[1].b: 2 vs 3');
  t.is(firstDifference({ a: 1 }, { a: 1, c: 'x' }), 'c: (none) vs "x"');
  t.is(firstDifference([1, 2], [1]), '(value): 2 entries vs 1');
});
