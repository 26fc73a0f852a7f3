/**
 * The Hessian report as independent items: computed one by one in a shuffled order, each
 * sent through JSON (as a worker thread, a progress file or a shard would), and assembled,
 * the items give exactly the report hessianReport returns (deep-equal and the same JSON
 * text), on a closed-form quadratic and on a tiny model, with every kind of item. Exact
 * equality, no tolerance: the items are the same computations in another order.
 */
import test from 'ava';
import { createRng } from '../../src/engine/rng.ts';
import { createQuadraticObjective } from '../../src/objective/quadraticObjective.ts';
import { hvpOperator, type HvpOperator } from '../../src/hessian/HvpOperator.ts';
import { hessianReport } from '../../src/hessian/hessianReport.ts';
import { hutchinson, hutchinsonProbes, summariseTrace } from '../../src/hessian/hutchinson.ts';
import { layerResult, perLayer } from '../../src/hessian/perLayer.ts';
import {
  assembleHessianReport,
  checkHessianRecord,
  hessianItem,
  hessianItemPlan,
  hessianRecordHvps,
  type HessianItemRecord,
} from '../../src/hessian/hessianItems.ts';
import type { HessianOptions } from '../../src/hessian/hessianOptions.ts';
import { InputError, UsageError } from '../../src/errors.ts';
import { useBackend } from '../helpers/engine.ts';
import { assertNoLeak, modelFixture, TINY_MLP, type ModelFixture } from './hessianFixtures.ts';

test.before(async () => {
  await useBackend('cpu');
});

function quadraticOp(seed = 1): HvpOperator {
  const rng = createRng(seed);
  const eig = [12, 9, 7, -6, ...Array.from({ length: 56 }, () => rng.normal())];
  return hvpOperator(createQuadraticObjective({ eigenvalues: eig, seed: 2, shapes: [[10, 2], [40]], center: new Array(60).fill(0.1) }));
}

let model: ModelFixture | undefined;
const modelOp = () => (model ??= modelFixture(TINY_MLP)).op;
test.after.always(() => model?.dispose());

function shuffled(n: number, seed: number): number[] {
  const rng = createRng(seed);
  const xs = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

/** Every item, computed in a shuffled order, each sent through JSON and checked, then put back in index order. */
function recordsShuffled(op: HvpOperator, opts: Partial<HessianOptions>, seed: number): HessianItemRecord[] {
  const n = hessianItemPlan(opts, op.names).length;
  const records = new Array<HessianItemRecord>(n);
  for (const i of shuffled(n, seed)) records[i] = checkHessianRecord(JSON.parse(JSON.stringify(hessianItem(op, opts, i))), i, 'test');
  return records;
}

const CASES: [string, Partial<HessianOptions>][] = [
  ['hutchinson trace', { topK: 2, trace: true, probes: 7, seed: 3 }],
  ['hutch++ trace', { topK: 2, trace: true, traceMethod: 'hutch++', probes: 9, seed: 4 }],
  ['density', { topK: 1, density: true, runs: 3, steps: 8, gridPoints: 60, seed: 5 }],
  ['per-layer (hutchinson)', { topK: 1, perLayer: true, probes: 4, seed: 6 }],
  ['per-layer (hutch++), power solver', { solver: 'power', topK: 2, perLayer: true, traceMethod: 'hutch++', probes: 6, seed: 8 }],
  ['everything, smallest', { topK: 2, smallest: true, trace: true, probes: 5, density: true, runs: 2, steps: 6, gridPoints: 40, sigma: 0.3, perLayer: true, seed: 9 }],
];

for (const [name, op] of [
  ['quadratic', () => quadraticOp()],
  ['tiny MLP', modelOp],
] as const) {
  for (const [what, opts] of CASES) {
    test.serial(`${name}, ${what}: items computed in a shuffled order and assembled equal hessianReport`, (t) => {
      const o = op();
      const before = o.hvps;
      const records = recordsShuffled(o, opts, 17);
      const itemHvps = o.hvps - before;
      const assembled = assembleHessianReport(opts, records);
      const direct = hessianReport(o, opts);
      t.deepEqual(assembled, direct);
      t.is(JSON.stringify(assembled), JSON.stringify(direct), 'the same JSON text, field order included');
      t.is(records.reduce((s, r) => s + hessianRecordHvps(r), 0), itemHvps, 'records count every HVP');
      t.is(direct.totalHvps, itemHvps);
    });
  }
}

test('the plan: eigenpairs first, then one item per probe (hutch++: one), per SLQ run, per layer', (t) => {
  const names = ['dense/kernel', 'dense/bias', 'out/kernel', 'out/bias'];
  const kinds = (o: Partial<HessianOptions>) => hessianItemPlan(o, names).map((s) => `${s.kind}${s.index}`);
  t.deepEqual(kinds({}), ['eigen0']);
  t.deepEqual(kinds({ trace: true, probes: 3, density: true, runs: 2, perLayer: true }), ['eigen0', 'probe0', 'probe1', 'probe2', 'slqRun0', 'slqRun1', 'layer0', 'layer1']);
  t.deepEqual(kinds({ trace: true, traceMethod: 'hutch++', probes: 30 }), ['eigen0', 'trace0']);
  t.deepEqual(kinds({ probes: 30, runs: 4 }), ['eigen0'], 'probes and runs count only with --trace and --density');
  t.throws(() => hessianItemPlan({ probes: 0 }, names), { instanceOf: UsageError, message: 'hessian: --probes must be an integer in 1..100000, got 0' });
});

test('hutchinson equals summariseTrace over the probes computed one at a time, in any order', (t) => {
  for (const op of [quadraticOp(2), modelOp()]) {
    const whole = hutchinson(op, { probes: 9, seed: 12 });
    const samples = shuffled(9, 3).flatMap((i) => hutchinsonProbes(op, 12, [i]));
    const merged = summariseTrace(samples);
    t.deepEqual({ estimate: whole.estimate, stderr: whole.stderr, samples: whole.samples }, merged);
  }
});

test('layerResult computes perLayer layer j alone, in any order', (t) => {
  const op = modelOp();
  const opts = { probes: 3, seed: 4, tol: 1e-3 };
  const all = perLayer(op, opts);
  const alone = [2, 0, 1].map((j) => [j, layerResult(op, opts, j)] as const);
  for (const [j, l] of alone) t.deepEqual(l, all.layers[j]);
  t.throws(() => layerResult(op, opts, 3), { instanceOf: UsageError, message: 'hessian: layer index must be below the number of layers (3), got 3' });
});

test('hessianItem refuses an index outside the plan; assembleHessianReport refuses records that do not fit the options', (t) => {
  const op = quadraticOp(3);
  const opts = { trace: true, probes: 2, density: true, runs: 1, steps: 4, gridPoints: 10, seed: 1 };
  t.throws(() => hessianItem(op, opts, 4), { instanceOf: UsageError, message: 'hessian: the item index must be an integer in [0, 3], got 4' });
  t.throws(() => hessianItem(op, opts, 1.5), { instanceOf: UsageError });
  const records = hessianItemPlan(opts, op.names).map((_, i) => hessianItem(op, opts, i));
  t.notThrows(() => assembleHessianReport(opts, records));
  t.throws(() => assembleHessianReport(opts, records.slice(0, 3)), { instanceOf: InputError, message: 'hessian: the options ask for 4 items, got 3 records' });
  t.throws(() => assembleHessianReport(opts, [records[0]!, records[2]!, records[1]!, records[3]!]), {
    instanceOf: InputError,
    message: 'hessian: record 1 is probe 1, expected probe 0',
  });
  t.throws(() => assembleHessianReport({ ...opts, runs: 2 }, records), { instanceOf: InputError });
  t.throws(() => assembleHessianReport({ ...opts, perLayer: true }, records), {
    instanceOf: InputError,
    message: 'hessian: the options ask for 4 items and one per layer (at least one), got 4 records',
  });
  t.throws(() => assembleHessianReport({ ...opts, density: false, perLayer: true }, records), { instanceOf: InputError, message: 'hessian: record 3 is slqRun 0, expected layer 0' });
});

test('checkHessianRecord accepts what hessianItem makes and names the file, the item and the problem otherwise', (t) => {
  const op = quadraticOp(4);
  const opts = { trace: true, probes: 1, density: true, runs: 1, steps: 4, gridPoints: 10, perLayer: true };
  const records = hessianItemPlan(opts, op.names).map((_, i) => JSON.parse(JSON.stringify(hessianItem(op, opts, i))));
  records.forEach((r, i) => t.deepEqual(checkHessianRecord(r, i, 'x.json'), r));
  const hpp = JSON.parse(JSON.stringify(hessianItem(op, { trace: true, traceMethod: 'hutch++', probes: 6 }, 1)));
  t.is(checkHessianRecord(hpp, 1, 'x.json').kind, 'trace');
  const bad: [unknown, string][] = [
    [null, 'expected an object, got null'],
    [[1], 'expected an object, got an array'],
    [{ ...records[1], kind: 'probes' }, 'kind must be one of eigen, probe, trace, slqRun, layer, got "probes"'],
    [{ ...records[1], index: -1 }, 'index must be an integer >= 0, got -1'],
    [{ ...records[1], hvps: 'one' }, 'hvps must be an integer >= 0, got "one"'],
    [{ ...records[1], value: null }, 'value must be a finite number, got null'],
    [{ ...records[0], eigen: { ...records[0].eigen, residuals: [] } }, 'eigen is not an eigen-solver result'],
    [{ ...records[2], weights: [1, 2] }, 'weights must be finite numbers, one per node'],
    [{ ...records[2], nodes: [] }, 'nodes must be a non-empty array of finite numbers'],
    [{ ...records[3], layer: { ...records[3].layer, trace: { method: 'exact' } } }, 'layer is not a per-layer result'],
    [{ ...hpp, trace: { ...hpp.trace, stderr: 'big' } }, 'trace is not a trace estimate'],
  ];
  for (const [value, problem] of bad) {
    t.throws(() => checkHessianRecord(value, 7, 'out.json.partial.json'), { instanceOf: InputError, message: `out.json.partial.json: item 7 is not a hessian item record (${problem})` });
  }
});

test('hessianItem leaves no tensors behind', (t) => {
  const op = modelOp();
  const opts = { topK: 1, trace: true, probes: 2, density: true, runs: 1, steps: 4, gridPoints: 10, perLayer: true, tol: 1e-2 };
  const n = hessianItemPlan(opts, op.names).length;
  assertNoLeak(t, 'hessianItem', () => {
    for (let i = 0; i < n; i++) hessianItem(op, opts, i);
  });
});
