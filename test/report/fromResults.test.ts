import test from 'ava';
import { InputError } from '../../src/errors.ts';
import {
  assignLabels,
  buildReportInputs,
  checkpointName,
  labelsForCheckpoints,
  classifyDocument,
  listSolutions,
  normalisePath,
  solutionKey,
  thinLr,
  type ClassifiedDocument,
} from '../../src/report/fromResults.ts';
import { buildReportContent } from '../../src/report/reportContent.ts';
import {
  allDocuments,
  ballDocument,
  CHECKPOINTS,
  evaluateDocument,
  hessianDocument,
  lineDocument,
  planeDocument,
  raysDocument,
  trainDocument,
  trainLogDocument,
  volumeDocument,
} from './sampleDocuments.ts';

const classify = (docs: { name: string; doc: unknown }[]): ClassifiedDocument[] =>
  docs.map((d) => classifyDocument({ file: d.name, value: d.doc }));

function inputError(t: import('ava').ExecutionContext, f: () => unknown, ...parts: string[]): void {
  const e = t.throws(f, { instanceOf: InputError });
  for (const p of parts) t.true(e!.message.includes(p), `'${e!.message}' lacks '${p}'`);
  t.false(e!.message.includes('\n'));
}

test('classifies every kind of result document by its schema tag', (t) => {
  const kinds = classify(allDocuments()).map((d) => d.kind);
  t.deepEqual([...new Set(kinds)].sort(), ['ball', 'evaluate', 'hessian', 'landscape', 'trainLog', 'volume']);
  const train = classifyDocument({ file: 'r.json', value: trainDocument('SGD', 'runs/sgd/train-log.json') });
  t.like(train, { kind: 'train', logPath: 'runs/sgd/train-log.json', checkpoint: { path: CHECKPOINTS.SGD.path } });
});

test('unknown, untagged or malformed documents: one line naming the file and the field', (t) => {
  inputError(t, () => classifyDocument({ file: 'a.json', value: [1, 2] }), 'a.json', 'not a sharpness result');
  inputError(t, () => classifyDocument({ file: 'b.json', value: { result: {} } }), 'b.json', 'no schema tag');
  inputError(t, () => classifyDocument({ file: 'c.json', value: { schema: 'sharpness/nope@1' } }), 'c.json', "'sharpness/nope@1'", 'sharpness/ball@1');
  const ball = ballDocument('SGD') as unknown as { result: { points: { radius: unknown }[] } };
  ball.result.points[1]!.radius = 'big';
  inputError(t, () => classifyDocument({ file: 'd.json', value: ball }), 'd.json', 'result.points[1].radius', 'finite number', "'big'");
  const vol = volumeDocument('SGD') as unknown as { checkpoint?: unknown };
  delete vol.checkpoint;
  inputError(t, () => classifyDocument({ file: 'e.json', value: vol }), 'e.json', 'checkpoint must be an object');
  const hes = hessianDocument('SGD') as unknown as { result: { density: { values: number[] } } };
  hes.result.density.values.pop();
  inputError(t, () => classifyDocument({ file: 'f.json', value: hes }), 'f.json', 'result.density.values');
  const land = planeDocument(5) as unknown as { result: { kind: string } };
  land.result.kind = 'cube';
  inputError(t, () => classifyDocument({ file: 'g.json', value: land }), 'g.json', 'result.kind');
});

test('solutions: keyed by the weights\' hash, in order of first appearance', (t) => {
  const docs = classify([
    { name: 'b.json', doc: ballDocument('SAM') },
    { name: 'e.json', doc: evaluateDocument(['SGD', 'SAM']) },
    { name: 'l.json', doc: lineDocument('SWA', 'SGD') },
  ]);
  const sols = listSolutions(docs);
  t.deepEqual(
    sols.map((s) => s.path ?? s.hint),
    [CHECKPOINTS.SAM.path, CHECKPOINTS.SGD.path, 'ensemble of 2', CHECKPOINTS.SWA.path],
  );
  t.deepEqual(
    sols.map((s) => s.checkpoint),
    [true, true, false, true],
  );
  t.is(sols[0]!.key, `sha256:${CHECKPOINTS.SAM.sha256}`);
  // Without a hash, the normalised path identifies a checkpoint.
  t.is(solutionKey({ path: './runs/a/model.json' }), solutionKey({ path: 'runs/a/' }));
  t.is(normalisePath('runs/a/'), 'runs/a');
});

test('labels: --labels in order, then sidecar methods, hints, directory names; repeats told apart', (t) => {
  const sols = listSolutions(classify([{ name: 'e.json', doc: evaluateDocument() }]));
  // --labels covers the checkpoints, not the ensemble.
  const given = assignLabels(sols, ['A', 'B', 'C']);
  t.deepEqual([...given.values()], ['A', 'B', 'C', 'ensemble of 3']);
  const partial = assignLabels(sols, ['A'], [undefined, 'sam', 'swa']);
  t.deepEqual([...partial.values()], ['A', 'sam', 'swa', 'ensemble of 3']);
  // Checkpoints inside training runs (runs/NAME/final) are named after the run.
  const defaults = assignLabels(sols);
  t.deepEqual([...defaults.values()], ['sgd', 'sam', 'swa', 'ensemble of 3']);
  t.is(checkpointName('runs/swa/sgd-last'), 'swa/sgd-last');
  t.is(checkpointName('ckpt/my-model'), 'my-model');
  // Repeated methods: the part of the paths that differs tells them apart.
  const same = assignLabels(sols, [], ['sgd', 'sgd', undefined]);
  t.deepEqual([...same.values()], ['sgd', 'sgd (sam)', 'swa', 'ensemble of 3']);
  // Paths that do not tell them apart: a number.
  const twins = listSolutions(classify([{ name: 'e.json', doc: evaluateDocument() }])).map((s) => (s.path ? { ...s, path: 'final' } : s));
  t.deepEqual([...assignLabels(twins).values()], ['final', 'final (2)', 'final (3)', 'ensemble of 3']);
  // Members that share a name ('FGE 1', 'FGE 2', ...) name their ensemble.
  t.deepEqual([...assignLabels(sols, ['FGE 1', 'FGE 2', 'FGE 3']).values()], ['FGE 1', 'FGE 2', 'FGE 3', 'FGE ensemble of 3']);
  t.deepEqual([...assignLabels(sols, ['FGE 1', 'SWA', 'FGE 3']).values()], ['FGE 1', 'SWA', 'FGE 3', 'ensemble of 3']);
  const e1 = t.throws(() => assignLabels(sols, ['a', 'b', 'c', 'd']), { instanceOf: InputError });
  t.true(e1!.message.includes('--labels gives 4 labels but the results name 3 checkpoints'));
  const e2 = t.throws(() => assignLabels(sols, ['a', 'a']), { instanceOf: InputError });
  t.true(e2!.message.includes("repeats 'a'"));
});

test('figure inputs and table rows from a full set of results', (t) => {
  const docs = classify(allDocuments());
  const labels = assignLabels(listSolutions(docs), ['SGD', 'SAM', 'SWA']);
  const inputs = buildReportInputs(docs, labels);
  t.deepEqual(inputs.solutions, ['SGD', 'SAM', 'SWA', 'ensemble of 3']);
  t.deepEqual(
    inputs.rays!.solutions.map((s) => [s.label, s.rays.length, s.rays[0]!.points.length]),
    [
      ['SGD', 3, 11],
      ['SAM', 3, 11],
      ['SWA', 3, 11],
    ],
  );
  t.is(inputs.rays!.distanceTitle, 'distance (filter-normalised directions)');
  t.deepEqual(inputs.lines[0]!.checkpoints.map((c) => [c.label, c.alpha]), [
    ['SWA', 0],
    ['SGD', 1],
  ]);
  const plane = inputs.planes[0]!;
  t.deepEqual(plane.metrics.map((m) => m.name), ['trainLoss', 'evalError']);
  t.is(plane.metrics[0]!.values.length, 15);
  t.is(plane.metrics[0]!.values[0]!.length, 15);
  t.deepEqual(plane.checkpoints.map((c) => c.label), ['SGD', 'SAM', 'SWA']);
  t.is(inputs.spectra!.solutions.length, 3);
  t.is(inputs.ball!.series.length, 6);
  t.is(inputs.volume!.series.length, 3);
  t.deepEqual(inputs.training!.runs.map((r) => r.label), ['SGD', 'SWA']);
  const swa = inputs.training!.runs[1]!;
  t.is(swa.averageStart, 15);
  t.true(swa.epochs.some((e) => typeof e.averageEvalAcc === 'number'));
  t.is(swa.lr!.length, 30 * 8);
  t.deepEqual(inputs.measures.map((m) => m.label), ['SGD', 'SAM', 'SWA', 'ensemble of 3']);
  const sgd = inputs.measures[0]!;
  t.is(sgd.accuracy!.value, 0.9312);
  t.is(sgd.accuracy!.samples, 2000);
  t.is(sgd.lambdaMax!.value, 40);
  t.is(sgd.lambdaMax!.residual, 1e-3);
  t.is(sgd.sharpness!.length, 6);
  t.is(sgd.logVolume![0]!.value, -1000);

  const content = buildReportContent(inputs, { title: 'T' });
  t.deepEqual(
    content.figures.map((f) => f.name),
    ['training', 'rays', 'line-swa-sgd', 'plane-sgd-sam-swa', 'hessian-spectra', 'eps-sharpness', 'volume-radii', 'width-consistency'],
  );
  t.true(content.figures.find((f) => f.name === 'line-swa-sgd')!.claim!.reproduces.includes('Figure 5'), 'the SWA-SGD line names the SWA paper figure it reproduces');
  t.is(content.table!.rows.length, 4);
  // The rays' caption says the directions are not the SWA paper's (uniform on the sphere).
  t.is(inputs.rays!.directionNorm, 'filter');
  t.regex(content.figures.find((f) => f.name === 'rays')!.caption, /filter-normalised \(Li et al\. 2018\), not uniform on the unit sphere as in the SWA paper/);
});

test('accuracy falls back to the training log when no evaluate result is given', (t) => {
  const docs = classify([{ name: 'log.json', doc: trainLogDocument('SWA') }]);
  const inputs = buildReportInputs(docs, assignLabels(listSolutions(docs)));
  t.deepEqual(inputs.measures.map((m) => [m.label, m.accuracy]), [['swa', { value: 0.93, samples: 10000 }]]);
});

test('rays: a landscape without per-ray series is read from its points', (t) => {
  const doc = raysDocument('SGD') as unknown as { result: { rays?: unknown } };
  delete doc.result.rays;
  const docs = classify([{ name: 'r.json', doc }]);
  const inputs = buildReportInputs(docs, assignLabels(listSolutions(docs), ['SGD']));
  t.deepEqual(inputs.rays!.solutions[0]!.rays.map((r) => r.points.length), [11, 11, 11]);
});

test('thinLr: long per-iteration schedules keep each bucket\'s extremes', (t) => {
  const lr = Array.from({ length: 100_000 }, (_, i) => (i % 50 < 25 ? 0.1 : 0.01));
  const thin = thinLr(lr, 1000, 4000);
  t.true(thin.length <= 4000);
  t.is(Math.max(...thin.map((p) => p.lr)), 0.1);
  t.is(Math.min(...thin.map((p) => p.lr)), 0.01);
  t.is(thin[0]!.epoch, 0.001);
  t.deepEqual(thinLr([1, 2], 2), [
    { epoch: 0.5, lr: 1 },
    { epoch: 1, lr: 2 },
  ]);
});

test('labels by checkpoint path (as compare gives them) override the defaults', (t) => {
  const sols = listSolutions(classify([{ name: 'e.json', doc: evaluateDocument() }]));
  const byPath = labelsForCheckpoints(sols, [`./${CHECKPOINTS.SWA.path}/`, `${CHECKPOINTS.SGD.path}/model.json`], ['W', 'G']);
  t.deepEqual([...assignLabels(sols, byPath).values()], ['G', 'sam', 'W', 'ensemble of 3']);
  // A default equal to a given label is told apart.
  const clash = labelsForCheckpoints(sols, [CHECKPOINTS.SGD.path], ['sam']);
  t.deepEqual([...assignLabels(sols, clash).values()], ['sam', 'sam (2)', 'swa', 'ensemble of 3']);
  t.throws(() => labelsForCheckpoints(sols, ['a'], ['x', 'y']), { message: /2 labels for 1 checkpoints/ });
});
