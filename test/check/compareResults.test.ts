/**
 * compareResults: identical documents pass; a planted drift of each kind (an eigenvalue, the
 * trace beyond sigma standard errors, a ball maximum, the log-volume) fails and names the
 * offending measure, and nothing else; the tolerance rules are the documented ones.
 */
import * as fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { compareResults, CHECK_DEFAULTS, type CheckReport } from '../../src/check/compareResults.ts';
import { extractMeasures, normalQuantile, stderrFromInterval } from '../../src/check/measures.ts';
import { formatCheckReport } from '../../src/check/formatCheckReport.ts';
import { checkResultFiles } from '../../src/check/checkResultFiles.ts';
import { parseResultDocument } from '../../src/check/readResultDocument.ts';
import { UsageError, InputError } from '../../src/errors.ts';
import type { ResultDocument } from '../../src/results/resultDocument.ts';
import { tempDir } from '../helpers/checkpoints.ts';

const DIR = fileURLToPath(new URL('../../fixtures/known-minima/', import.meta.url));
const GOLDENS = [
  'linear-regression/golden/hessian.json',
  'linear-regression/golden/ball-l2.json',
  'linear-regression/golden/ball-l2-adaptive.json',
  'linear-regression/golden/volume.json',
  'linear-regression/golden/evaluate.json',
  'logistic-regression/golden/hessian.json',
  'logistic-regression/golden/evaluate.json',
  'two-layer-linear/golden/hessian.json',
  'relu/golden/evaluate.json',
];

async function golden(file: string): Promise<ResultDocument<any>> {
  return parseResultDocument(await fs.readFile(path.join(DIR, file), 'utf8'), file);
}

/** A copy of a document with its result changed by `edit` (as a measured result: a real backend). */
async function planted(file: string, edit: (r: any) => void): Promise<ResultDocument<any>> {
  const doc = structuredClone(await golden(file));
  doc.engine = { backend: 'cpu', device: 'cpu', threads: 1, tfjsVersion: '4.22.0' };
  edit(doc.result);
  return doc;
}

function only(t: import('ava').ExecutionContext, report: CheckReport, measure: string): void {
  t.false(report.ok);
  t.deepEqual(report.drifted, [measure]);
  t.is(report.counts.drift, 1);
  t.is(report.rows.find((r) => r.measure === measure)!.verdict, 'drift');
  t.regex(formatCheckReport(report), new RegExp(`${measure.replace(/[[\].=]/g, '\\$&')}.*DRIFT`));
}

test('every golden passes against itself: all ok, difference 0', async (t) => {
  for (const file of GOLDENS) {
    const g = await golden(file);
    const r = compareResults(g, g);
    t.true(r.ok, file);
    t.true(r.rows.length > 0, file);
    t.true(r.rows.every((row) => row.verdict === 'ok' && row.difference === 0), file);
    t.deepEqual(r.drifted, []);
    t.deepEqual(r.tolerances, { ...CHECK_DEFAULTS });
  }
});

test('the measures of each kind of result have the documented names', async (t) => {
  const names = async (file: string) => extractMeasures(await golden(file)).map((m) => `${m.name}:${m.kind}`);
  t.deepEqual((await names('linear-regression/golden/hessian.json')).slice(0, 2), ['hessian.eigenvalues[0]:deterministic', 'hessian.eigenvalues[1]:deterministic']);
  t.true((await names('linear-regression/golden/hessian.json')).includes('hessian.trace:stochastic'));
  t.deepEqual(await names('linear-regression/golden/ball-l2.json'), [
    'ball.baseLoss:deterministic',
    'ball.l2.r=0.1.maxLoss:deterministic',
    'ball.l2.r=0.1.sharpness:deterministic',
    'ball.l2.r=0.1.averageLoss:stochastic',
    'ball.l2.r=0.3.maxLoss:deterministic',
    'ball.l2.r=0.3.sharpness:deterministic',
    'ball.l2.r=0.3.averageLoss:stochastic',
  ]);
  t.true((await names('linear-regression/golden/ball-l2-adaptive.json')).includes('ball.l2-adaptive.r=0.3.maxLoss:deterministic'));
  t.deepEqual(await names('linear-regression/golden/volume.json'), [
    'volume.delta:deterministic',
    'volume.dimension:deterministic',
    'volume.baseLoss:deterministic',
    'volume.logVolume:stochastic',
  ]);
  t.deepEqual(await names('logistic-regression/golden/evaluate.json'), ['evaluate.models[0].loss:deterministic', 'evaluate.models[0].accuracy:deterministic']);
  t.deepEqual(await names('linear-regression/golden/evaluate.json'), ['evaluate.models[0].loss:deterministic'], 'a null accuracy is no measure');
  const h = await golden('linear-regression/golden/hessian.json');
  const r = h.result as { order: string; which: string; eigenvalues: number[]; residuals: number[]; trace?: unknown };
  const smallest = extractMeasures({ ...h, result: { ...r, order: 'ascending', which: 'smallest', eigenvalues: [-1, 0], residuals: [0, 0], trace: undefined } });
  t.deepEqual(smallest.map((m) => m.name), ['hessian.smallestEigenvalues[0]', 'hessian.smallestEigenvalues[1]']);
});

test('a result that does not match its schema is refused naming the field, not half-read', async (t) => {
  const h = await golden('linear-regression/golden/hessian.json');
  const bad = { ...h, result: { ...(h.result as object), eigenvalues: [1, 'two'] } };
  const e = t.throws(() => extractMeasures(bad));
  t.regex(e!.message, /^check: the hessian result is not valid: result\.eigenvalues\[1\] must be/);
});

test('planted drift of an eigenvalue: fails on hessian.eigenvalues[3] alone', async (t) => {
  const doc = await planted('two-layer-linear/golden/hessian.json', (r) => (r.eigenvalues[3] *= 1 + 1e-3));
  only(t, compareResults(doc, await golden('two-layer-linear/golden/hessian.json')), 'hessian.eigenvalues[3]');
  // within rtol: passes
  const near = await planted('two-layer-linear/golden/hessian.json', (r) => (r.eigenvalues[3] *= 1 + 5e-5));
  t.true(compareResults(near, await golden('two-layer-linear/golden/hessian.json')).ok);
});

test('planted drift of the trace beyond sigma standard errors fails; within them passes', async (t) => {
  const base = await golden('linear-regression/golden/hessian.json');
  const exact = base.result.trace.estimate;
  const se = 0.1;
  const at = async (k: number) => planted('linear-regression/golden/hessian.json', (r) => (r.trace = { ...r.trace, estimate: exact + k * se, stderr: se }));
  const within = compareResults(await at(2.9), base, { sigma: 3 });
  t.true(within.ok);
  const row = within.rows.find((r) => r.measure === 'hessian.trace')!;
  t.is(row.kind, 'stochastic');
  t.true(row.bySigma);
  t.true(Math.abs(row.allowed - 3 * se) < 1e-12, 'allowed = sigma sqrt(se_now^2 + se_baseline^2)');
  only(t, compareResults(await at(3.1), base, { sigma: 3 }), 'hessian.trace');
  t.true(compareResults(await at(3.1), base, { sigma: 4 }).ok, '--sigma 4 allows it');
  // both standard errors count: sqrt(0.1^2 + 0.1^2) * 3 = 0.424
  const both = structuredClone(base);
  both.result.trace.stderr = se;
  t.true(compareResults(await at(4), both, { sigma: 3 }).ok);
  t.false(compareResults(await at(4.5), both, { sigma: 3 }).ok);
});

test('planted drift of a ball maximum: fails on that radius\'s maxLoss alone', async (t) => {
  const base = await golden('linear-regression/golden/ball-l2.json');
  const doc = await planted('linear-regression/golden/ball-l2.json', (r) => (r.points[1].maxLoss *= 1.001));
  only(t, compareResults(doc, base), 'ball.l2.r=0.3.maxLoss');
  const avg = await planted('linear-regression/golden/ball-l2.json', (r) => {
    r.points[0].averageLoss += 0.01;
    r.points[0].averageStderr = 0.001;
  });
  only(t, compareResults(avg, base), 'ball.l2.r=0.1.averageLoss');
});

test('planted drift of the log-volume beyond its interval fails; the golden within sigma standard errors of the estimate passes', async (t) => {
  const base = await golden('linear-regression/golden/volume.json');
  const lv = base.result.logVolume;
  const withCi = (shift: number, half: number) =>
    planted('linear-regression/golden/volume.json', (r) => {
      r.logVolume = lv + shift;
      r.logVolumeCI = [lv + shift - half, lv + shift + half];
      r.confidence = 0.95;
    });
  // se = half / 1.96 = 0.051; 3 se = 0.153
  t.true(compareResults(await withCi(0.15, 0.1), base).ok);
  only(t, compareResults(await withCi(0.16, 0.1), base), 'volume.logVolume');
  only(t, compareResults(await withCi(-0.5, 0.1), base), 'volume.logVolume');
  const row = compareResults(await withCi(0.15, 0.1), base).rows.find((r) => r.measure === 'volume.logVolume')!;
  t.true(Math.abs(row.nowStderr! - 0.1 / 1.959963984540054) < 1e-9);
});

test('the evaluate measures: a changed accuracy or loss is drift', async (t) => {
  const base = await golden('logistic-regression/golden/evaluate.json');
  only(t, compareResults(await planted('logistic-regression/golden/evaluate.json', (r) => (r.models[0].accuracy -= 1 / 96)), base), 'evaluate.models[0].accuracy');
  only(t, compareResults(await planted('logistic-regression/golden/evaluate.json', (r) => (r.models[0].loss *= 1.01)), base), 'evaluate.models[0].loss');
});

test('NaN is never close; a missing measure fails unless allowed; extra measures are noted, not checked', async (t) => {
  const base = await golden('linear-regression/golden/hessian.json');
  const nan = await planted('linear-regression/golden/hessian.json', (r) => (r.eigenvalues[0] = NaN));
  only(t, compareResults(nan, base), 'hessian.eigenvalues[0]');
  // JSON writes NaN as null: the same verdict
  only(t, compareResults(JSON.parse(JSON.stringify(nan)), base), 'hessian.eigenvalues[0]');
  const fewer = await planted('linear-regression/golden/hessian.json', (r) => (r.eigenvalues = r.eigenvalues.slice(0, 5)));
  const rep = compareResults(fewer, base);
  t.false(rep.ok);
  t.is(rep.counts.missing, 5);
  t.deepEqual(rep.missing, [5, 6, 7, 8, 9].map((i) => `hessian.eigenvalues[${i}]`));
  t.regex(formatCheckReport(rep), /hessian\.eigenvalues\[9\].*MISSING/);
  t.true(compareResults(fewer, base, { allowMissing: true }).ok);
  const more = compareResults(base, fewer);
  t.true(more.ok);
  t.true(more.notes.some((n) => /5 measures of the result not in the baseline, not checked/.test(n)));
});

test('different schemas, checkpoints and bad tolerances are usage errors; other differences are notes', async (t) => {
  const hess = await golden('linear-regression/golden/hessian.json');
  const vol = await golden('linear-regression/golden/volume.json');
  const e1 = t.throws(() => compareResults(vol, hess), { instanceOf: UsageError });
  t.regex(e1!.message, /a volume result \(sharpness\/volume@1\) but the baseline is a hessian result/);
  const other = await golden('logistic-regression/golden/hessian.json');
  const e2 = t.throws(() => compareResults(other, hess, { labels: { result: 'now.json', baseline: 'base.json' } }), { instanceOf: UsageError });
  t.regex(e2!.message, /now\.json measured fixtures\/known-minima\/logistic-regression\/model .* but base\.json measured .*linear-regression.*--allow-different-checkpoint/);
  const allowed = compareResults(other, hess, { allowDifferentCheckpoint: true });
  t.true(allowed.notes.some((n) => n.startsWith('different checkpoints')));
  t.true(allowed.notes.some((n) => n.startsWith('data differs')));
  t.true(allowed.notes.some((n) => n.startsWith('loss differs')));
  t.true(allowed.notes.some((n) => n.startsWith('l2 differs')));
  t.false(allowed.ok);
  t.is(allowed.checkpoint.same, false);
  for (const [opts, re] of [
    [{ rtol: -1 }, /--rtol must be a finite number >= 0, got -1/],
    [{ atol: NaN }, /--atol must be a finite number >= 0, got NaN/],
    [{ sigma: 0 }, /--sigma must be a finite number > 0, got 0/],
  ] as const) {
    t.throws(() => compareResults(hess, hess, opts), { instanceOf: UsageError, message: re });
  }
  t.throws(() => compareResults({ ...hess, schema: 'sharpness/landscape@1' }, { ...hess, schema: 'sharpness/landscape@1' }), {
    instanceOf: UsageError,
    message: /landscape@1 results cannot be checked/,
  });
  t.throws(() => compareResults({ ...hess, schema: 'sharpness/hessian@2' }, { ...hess, schema: 'sharpness/hessian@2' }), { message: /newer result format/ });
  const cpu = structuredClone(hess);
  cpu.engine.backend = 'cpu';
  const wasm = structuredClone(hess);
  wasm.engine.backend = 'wasm';
  t.true(compareResults(wasm, cpu).notes.includes('backend differs: baseline cpu, now wasm'));
  t.false(compareResults(wasm, hess).notes.some((n) => n.startsWith('backend')), 'a golden has no backend to differ from');
});

test('the tolerance of deterministic measures is atol + rtol |baseline|', async (t) => {
  const base = await golden('linear-regression/golden/evaluate.json');
  const L = base.result.models[0].loss;
  const at = (x: number) => planted('linear-regression/golden/evaluate.json', (r) => (r.models[0].loss = x));
  const opts = { rtol: 1e-3, atol: 1e-4 };
  const allowed = 1e-4 + 1e-3 * L;
  t.true(compareResults(await at(L + 0.99 * allowed), base, opts).ok);
  t.false(compareResults(await at(L - 1.01 * allowed), base, opts).ok);
  const row = compareResults(await at(L), base, opts).rows[0]!;
  t.true(Math.abs(row.allowed - allowed) < 1e-15);
});

test('standard errors from intervals; the normal quantile', (t) => {
  t.true(Math.abs(normalQuantile(0.975) - 1.959963984540054) < 1e-8);
  t.true(Math.abs(normalQuantile(0.5)) < 1e-12);
  t.true(Math.abs(normalQuantile(0.995) - 2.5758293035489) < 1e-8);
  t.true(Math.abs(normalQuantile(0.01) + 2.3263478740408) < 1e-8);
  t.true(Math.abs(stderrFromInterval([1, 3], 0.95) - 1 / 1.959963984540054) < 1e-9);
  t.is(stderrFromInterval([2, 2], 0.95), 0);
  t.is(stderrFromInterval(undefined, 0.95), 0);
});

test('checkResultFiles reads both files and names them; a file that is not a result is an input error', async (t) => {
  const dir = await tempDir();
  const file = path.join(dir, 'now.json');
  const base = path.join(DIR, 'linear-regression/golden/ball-l2.json');
  await fs.writeFile(file, JSON.stringify(await planted('linear-regression/golden/ball-l2.json', (r) => (r.points[0].maxLoss += 1))));
  const report = await checkResultFiles(file, base);
  t.deepEqual(report.drifted, ['ball.l2.r=0.1.maxLoss']);
  await fs.writeFile(path.join(dir, 'bad.json'), '{"hello": 1}');
  await t.throwsAsync(checkResultFiles(path.join(dir, 'bad.json'), base), { instanceOf: InputError, message: /bad\.json is not a sharpness result document/ });
  await t.throwsAsync(checkResultFiles(path.join(dir, 'nope.json'), base), { instanceOf: InputError, message: /nope\.json does not exist/ });
  await fs.writeFile(path.join(dir, 'broken.json'), '{');
  await t.throwsAsync(checkResultFiles(path.join(dir, 'broken.json'), base), { instanceOf: InputError, message: /broken\.json is not valid JSON/ });
});
