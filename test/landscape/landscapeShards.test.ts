/**
 * A landscape's records through the item-job documents, without an engine: shards combine
 * into exactly the document a single run writes; shards and progress files of the
 * landscape's older formats (landscape-shard@1, landscape-progress@1) are read back as the
 * same records and merge with new ones; mismatched, missing and duplicated shards are
 * refused by name.
 */
import test from 'ava';
import { InputError, UsageError } from '../../src/errors.ts';
import * as docs from '../../src/parallel/itemDocuments.ts';
import * as job from '../../src/cli/jobs/landscapeJob.ts';
import { assembleLandscape, pointCoordinates } from '../../src/landscape/assembleLandscape.ts';
import { firstDifference, landscapeFingerprint, landscapeIdentity } from '../../src/landscape/landscapeFingerprint.ts';
import { resolveLandscapeSpec, shardIndices } from '../../src/landscape/landscapeOptions.ts';
import type { ItemRecord, LandscapeContext, LandscapeFrame } from '../../src/landscape/landscapeTypes.ts';
import type { DocumentHeader } from '../../src/results/resultDocument.ts';

const spec = resolveLandscapeSpec({ checkpoint: 'runs/a', rays: 2, range: '0:1:3', data: 'synthetic:blobs:10', evalData: 'synthetic:blobs:5', loss: 'auto', bn: 'eval', l2: 0, batchSize: 100, seed: 1 });
const description = job.describeLandscape(spec, { backend: 'cpu' });
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
const context: LandscapeContext = { frame, passesPerItem: 2 };

const header: DocumentHeader = {
  options: description.recorded,
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
const recordOf = ({ i: _i, ...v }: ItemRecord) => v;
const all = Array.from({ length: frame.itemCount }, (_, i) => value(i));
const json = (x: unknown) => JSON.parse(JSON.stringify(x));

/** A shard as this version writes it. */
function shardDoc(k: number, n: number, id: unknown = identity, h = header, ctx: LandscapeContext = context) {
  const items = shardIndices(frame.itemCount, { k, n }).map((i) => ({ i, record: recordOf(value(i)) }));
  const result: docs.ShardResult = { fingerprint: docs.fingerprintOf(id), identity: id, description, shard: { k, n }, itemCount: frame.itemCount, context: ctx, items };
  return json(docs.shardDocument('landscape', h, job, result, 1.5));
}

/** A shard as the landscape's own runner of earlier versions wrote it (landscape-shard@1). */
function oldShardDoc(k: number, n: number) {
  const items = shardIndices(frame.itemCount, { k, n }).map(value);
  const { options, ...rest } = header;
  return json({
    schema: 'sharpness/landscape-shard@1',
    tool: { name: 'sharpness', version: '0.1.0' },
    command: 'landscape',
    options,
    ...rest,
    result: { fingerprint, identity, shard: { k, n }, frame, items },
    cost: { seconds: 1.5, lossEvaluations: 2 * items.length, gradients: 0, hvps: 0 },
  });
}

const facts = { fingerprint, context };
const single = () => json(docs.resultDocument('landscape', header, job, description, all.map(recordOf), 4, facts));
const parsed = (d: unknown, name: string) => ({ name, doc: docs.parseShardDocument(d, name, job) });
const text = (d: object) => JSON.stringify({ ...d, cost: { ...(d as { cost: object }).cost, seconds: 0 } }, null, 2);

test('assemble: points in item order with coordinates and distances, rays as series, checkpoints with their values', (t) => {
  const r = assembleLandscape(frame, fingerprint, [...all].reverse());
  t.is(r.points.length, 6);
  t.deepEqual(r.points[4], { i: 4, ray: 1, x: 0.5, distance: 1.5, ...recordOf(value(4)) });
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

test('the job assembles the result of the frame and names its fingerprint; each item costs its passes', (t) => {
  const one = single();
  t.is(one.schema, 'sharpness/landscape@1');
  t.deepEqual(one.result, json(assembleLandscape(frame, fingerprint, all)));
  t.is(one.result.fingerprint, fingerprint);
  t.deepEqual(one.cost, { seconds: 4, lossEvaluations: 2 * 7, gradients: 0, hvps: 0 });
  // The header in the order the landscape's documents always had.
  t.deepEqual(Object.keys(one), ['schema', 'tool', 'command', 'options', 'seed', 'checkpoint', 'data', 'evalData', 'loss', 'bn', 'l2', 'engine', 'result', 'cost']);
});

test('merge: shards 1/3, 2/3, 3/3 in any order give the single-run document, text equal but for cost.seconds', (t) => {
  const s2 = shardDoc(2, 3);
  t.is(s2.schema, 'sharpness/landscape-shard@2');
  t.deepEqual(Object.keys(s2.result), ['fingerprint', 'identity', 'description', 'shard', 'itemCount', 'context', 'items']);
  t.deepEqual(s2.result.items[0], { i: 1, record: recordOf(value(1)) });
  t.is(docs.shardCommandOf(s2), 'landscape');
  const merged = docs.mergeShards([3, 1, 2].map((k) => parsed(shardDoc(k, 3), `s${k}.json`)), job);
  t.is(merged.cost.seconds, 4.5);
  t.is(text(merged), text(single()));
});

test('shards of the older format merge, alone or with shards of this version, into the same document', (t) => {
  t.is(docs.shardCommandOf(oldShardDoc(1, 2)), 'landscape');
  const up = docs.parseShardDocument(oldShardDoc(1, 2), 'old1.json', job);
  t.is(up.schema, 'sharpness/landscape-shard@2');
  t.deepEqual(up.result.context, context);
  t.deepEqual(up.result.description, description);
  t.deepEqual(up.result.items[1], { i: 2, record: recordOf(value(2)) });
  const old = docs.mergeShards([parsed(oldShardDoc(2, 2), 'old2.json'), parsed(oldShardDoc(1, 2), 'old1.json')], job);
  t.is(text(old), text(single()));
  const mixed = docs.mergeShards([parsed(oldShardDoc(1, 2), 'old1.json'), parsed(shardDoc(2, 2), 'new2.json')], job);
  t.is(text(mixed), text(single()));
  // A shard of the old format with an edited frame is refused like one of the new.
  const edited = oldShardDoc(2, 2);
  edited.result.frame.rays[1].norm = 4;
  t.throws(() => docs.mergeShards([parsed(oldShardDoc(1, 2), 'old1.json'), parsed(edited, 'old2.json')], job), {
    instanceOf: InputError,
    message: /old2\.json and old1\.json have different contexts \(context\.frame\.rays\[1\]\.norm: 4 vs 3\)/,
  });
  const broken = oldShardDoc(1, 2);
  delete broken.result.frame;
  t.throws(() => docs.parseShardDocument(broken, 'b.json', job), { instanceOf: InputError, message: /b\.json.*frame/ });
  t.throws(() => docs.parseShardDocument({ ...oldShardDoc(1, 2), schema: 'sharpness/landscape-shard@7' }, 'v7.json', job), {
    instanceOf: InputError,
    message: /v7\.json is a landscape shard of an unknown version \(schema sharpness\/landscape-shard@7\)/,
  });
});

test('merge refuses shards of different landscapes, naming the difference', (t) => {
  const id2 = { ...identity, spec: { ...identity.spec, seed: 2 } };
  const e = t.throws(() => docs.mergeShards([parsed(shardDoc(1, 2), 's1.json'), parsed(shardDoc(2, 2, id2), 's2.json')], job), { instanceOf: InputError });
  t.regex(e!.message, /s2\.json and s1\.json are shards of different computations \(spec\.seed: 2 vs 1/);
  const h2 = { ...header, options: { ...header.options, backend: 'wasm' } };
  t.throws(() => docs.mergeShards([parsed(shardDoc(1, 2), 's1.json'), parsed(shardDoc(2, 2, identity, h2), 's2.json')], job), {
    instanceOf: InputError,
    message: /were run differently \(options\.backend: "wasm" vs "cpu"\)/,
  });
});

test('merge names missing shards and duplicated items', (t) => {
  const e = t.throws(() => docs.mergeShards([1, 3].map((k) => parsed(shardDoc(k, 3), `s${k}`)), job), { instanceOf: InputError });
  t.regex(e!.message, /2 of 7 items are missing \(items 1, 4\); missing shard 2\/3/);
  const d = t.throws(() => docs.mergeShards([1, 2, 2, 3].map((k, j) => parsed(shardDoc(k, 3), `f${j}`)), job), { instanceOf: InputError });
  t.regex(d!.message, /item 1 is in both f1 \(shard 2\/3\) and f2 \(shard 2\/3\)/);
  t.throws(() => docs.mergeShards([1, 2].map((k) => parsed(shardDoc(k, k + 1), `s${k}`)), job), { instanceOf: InputError, message: /shard 2\/3 but s1 is 1\/2/ });
  t.throws(() => docs.parseShardDocument({ schema: 'sharpness/ball@1' }, 'x.json', job), { instanceOf: InputError, message: /x\.json is not a shard document/ });
  const bad = shardDoc(1, 3);
  bad.result.items[0].record.trainLoss = 'low';
  t.throws(() => docs.parseShardDocument(bad, 'bad.json', job), { instanceOf: InputError, message: /bad\.json/ });
});

test('progress files: this version\'s and the older format read back as the same records; another landscape is refused naming the difference', (t) => {
  const p = docs.makeProgress('landscape', fingerprint, identity, 7, 3.5, [0, 5].map((i) => ({ i, record: recordOf(value(i)) })));
  t.is(p.schema, 'sharpness/landscape-progress@2');
  const back = docs.parseProgress('landscape', JSON.stringify(p), 'out.json.partial.json', identity, 7, job);
  t.deepEqual(back.items, p.items);
  t.is(back.seconds, 3.5);
  const old = JSON.stringify({ schema: 'sharpness/landscape-progress@1', fingerprint, identity, itemCount: 7, seconds: 3.5, items: [value(0), value(5)] });
  const oldBack = docs.parseProgress('landscape', old, 'old.json.partial.json', identity, 7, job);
  t.deepEqual(oldBack.items, p.items);
  t.is(oldBack.seconds, 3.5);
  const id2 = { ...identity, spec: { ...identity.spec, range: '0:2:3' } };
  for (const x of [JSON.stringify(p), old]) {
    const e = t.throws(() => docs.parseProgress('landscape', x, 'out.json.partial.json', id2, 7, job), { instanceOf: UsageError });
    t.regex(e!.message, /holds partial results of a different computation \(spec\.range: "0:1:3" vs "0:2:3"/);
  }
  t.throws(() => docs.parseProgress('landscape', '{', 'p', identity, 7, job), { instanceOf: InputError, message: /not valid JSON/ });
  t.throws(() => docs.parseProgress('landscape', JSON.stringify({ ...p, items: [{ i: 9, record: recordOf(value(1)) }] }), 'p', identity, 7, job), { instanceOf: InputError, message: /valid index/ });
  t.throws(() => docs.parseProgress('landscape', old.replace('"items":[', '"items":[{"i":"x"},'), 'p', identity, 7, job), { instanceOf: InputError, message: /p/ });
});

test('firstDifference walks objects and arrays', (t) => {
  t.is(firstDifference({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }), null);
  t.is(firstDifference({ a: [1, { b: 2 }] }, { a: [1, { b: 3 }] }), 'a[1].b: 2 vs 3');
  t.is(firstDifference({ a: 1 }, { a: 1, c: 'x' }), 'c: (none) vs "x"');
  t.is(firstDifference([1, 2], [1]), '(value): 2 entries vs 1');
});
