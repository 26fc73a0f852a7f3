/**
 * Shards, progress files and merging for item jobs, with a toy job whose result is the list
 * of its records: merged shards equal the single-run document but for cost.seconds, costs
 * are counted from the records (setup once), and what is missing, doubled, edited or from
 * another computation is named.
 */
import test from 'ava';
import { InputError, UsageError } from '../../src/errors.ts';
import type { DocumentHeader } from '../../src/results/resultDocument.ts';
import * as docs from '../../src/parallel/itemDocuments.ts';
import { shardIndices } from '../../src/parallel/shard.ts';

type Rec = { v: number; evals: number };
const module = {
  checkRecord(value: unknown, _i: number, where: string): Rec {
    const r = value as Rec;
    if (typeof r?.v !== 'number' || typeof r?.evals !== 'number') throw new InputError(`${where} is not a toy record`);
    return r;
  },
  assemble: (d: { scale: number }, records: readonly Rec[]) => ({ values: records.map((r) => r.v * d.scale) }),
  recordCost: (r: Rec) => ({ lossEvaluations: r.evals, gradients: 0, hvps: 1 }),
  setupCost: () => ({ lossEvaluations: 1, gradients: 1, hvps: 0 }),
  format: () => '',
};
const header: DocumentHeader = { options: { scale: 2 }, seed: 0, engine: { backend: 'cpu', device: 'cpu', threads: 1, tfjsVersion: '4.22.0' } };
const description = { scale: 2 };
const identity = { version: 'x', options: description };
const N = 7;
const record = (i: number): Rec => ({ v: i * 1.5, evals: i + 1 });

function shardDoc(k: number, n: number, seconds = 1, id: unknown = identity) {
  const items = shardIndices(N, { k, n }).map((i) => ({ i, record: record(i) }));
  const result: docs.ShardResult = { fingerprint: docs.fingerprintOf(id), identity: id, description, shard: { k, n }, itemCount: N, items };
  return docs.shardDocument('toy', header, module, result, seconds);
}

const parsed = (d: unknown, name: string) => ({ name, doc: docs.parseShardDocument(JSON.parse(JSON.stringify(d)), name, module) });

test('merged shards equal a single run but for seconds; costs come from the records', (t) => {
  const all = Array.from({ length: N }, (_, i) => record(i));
  const single = docs.resultDocument('toy', header, module, description, all, 5, { fingerprint: docs.fingerprintOf(identity) });
  const merged = docs.mergeShards([parsed(shardDoc(2, 3, 1), 'b'), parsed(shardDoc(1, 3, 2), 'a'), parsed(shardDoc(3, 3, 3), 'c')], module);
  t.is(merged.cost.seconds, 6);
  t.deepEqual({ ...merged, cost: { ...merged.cost, seconds: 0 } }, { ...single, cost: { ...single.cost, seconds: 0 } });
  t.is(merged.schema, 'sharpness/toy@1');
  t.deepEqual(merged.result, { values: all.map((r) => r.v * 2) });
  t.deepEqual(merged.cost, { seconds: 6, lossEvaluations: 1 + 28, gradients: 1, hvps: N });
  // A shard's own cost has no setup.
  t.deepEqual(shardDoc(1, 3).cost, { seconds: 1, lossEvaluations: 1 + 4 + 7, gradients: 0, hvps: 3 });
  t.is(docs.shardCommandOf(shardDoc(1, 3)), 'toy');
  t.is(docs.shardCommandOf(single), null);
});

test('merge names missing shards, doubled items, other computations and edits', (t) => {
  t.throws(() => docs.mergeShards([parsed(shardDoc(1, 3), 'a'), parsed(shardDoc(3, 3), 'c')], module), {
    instanceOf: InputError,
    message: 'merge: 2 of 7 items are missing (items 1, 4); missing shard 2/3',
  });
  t.throws(() => docs.mergeShards([parsed(shardDoc(1, 2), 'a'), parsed(shardDoc(1, 2), 'a'), parsed(shardDoc(2, 2), 'b')], module), {
    message: 'merge: a is given twice; give each shard once',
  });
  t.throws(() => docs.mergeShards([parsed(shardDoc(1, 2), 'a'), parsed(shardDoc(2, 2, 1, { ...identity, version: 'y' }), 'b')], module), {
    message: /merge: b and a are shards of different computations \(version: "y" vs "x"/,
  });
  t.throws(() => docs.mergeShards([parsed(shardDoc(1, 2), 'a'), parsed(shardDoc(2, 3), 'b')], module), { message: /shards of one split have the same n/ });
  const edited = JSON.parse(JSON.stringify(shardDoc(1, 2)));
  edited.result.identity.options.scale = 3;
  t.throws(() => docs.parseShardDocument(edited, 'e.json', module), { message: 'merge: e.json has been edited (its identity does not match its fingerprint)' });
  const badRecord = JSON.parse(JSON.stringify(shardDoc(1, 2)));
  badRecord.result.items[1].record = { v: 'x' };
  t.throws(() => docs.parseShardDocument(badRecord, 'r.json', module), { message: 'merge: r.json item 2 is not a toy record' });
  const badIndex = JSON.parse(JSON.stringify(shardDoc(1, 2)));
  badIndex.result.items[0].i = N;
  t.throws(() => docs.parseShardDocument(badIndex, 'i.json', module), { message: /i.json has an item without a valid index in \[0, 7\)/ });
  t.throws(() => docs.parseShardDocument({ schema: 'sharpness/toy@1', command: 'toy' }, 'x.json', module), { message: 'merge: x.json is not a shard document' });
});

test('a progress file round-trips, and one of another computation is refused naming the difference', (t) => {
  const p = docs.makeProgress('toy', docs.fingerprintOf(identity), identity, N, 3.5, [{ i: 2, record: record(2) }]);
  const back = docs.parseProgress<Rec>('toy', JSON.stringify(p), 'p.json', identity, N, module);
  t.deepEqual(back, p);
  t.throws(() => docs.parseProgress('toy', JSON.stringify(p), 'p.json', { ...identity, version: 'z' }, N, module), {
    instanceOf: UsageError,
    message: /toy: p.json holds partial results of a different computation \(version: "x" vs "z"/,
  });
  t.throws(() => docs.parseProgress('toy', '{', 'p.json', identity, N, module), { instanceOf: InputError, message: /p.json is not valid JSON/ });
  t.throws(() => docs.parseProgress('toy', JSON.stringify({ ...p, schema: 'other' }), 'p.json', identity, N, module), { message: /is not a toy progress file/ });
  t.throws(() => docs.parseProgress('toy', JSON.stringify(p), 'p.json', identity, N + 1, module), { message: 'toy: p.json is for 7 items, this computation has 8' });
});
