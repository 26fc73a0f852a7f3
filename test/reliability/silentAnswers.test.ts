/**
 * Issue 15 class 6: answers that were silently wrong. compare kept one solution when two
 * labels made the same file name, and reused results of a checkpoint retrained in place; a
 * rerun train recorded another cost; check passed a baseline holding no measures, and
 * --update replaced a baseline by another command's result; a sigmoid output under ce, and
 * soft targets under --loss auto, gave numbers without a word.
 */
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { sharpness, ROOT } from '../helpers/cli.ts';
import { saveMnistMlp, tempDir } from '../helpers/checkpoints.ts';
import { useBackend } from '../helpers/engine.ts';
import { encodeNpy } from '../../src/io/npy.ts';
import { compareSteps, type CompareSettings } from '../../src/cli/commands/compare.ts';
import { saveTinyCheckpoint, writeTinyData, SAMPLES } from './tinyInputs.ts';

let dir = '';
test.before(async () => {
  await useBackend('cpu');
  dir = await tempDir('sharpness-silent-');
});

const GOLDEN = path.join(ROOT, 'fixtures', 'known-minima', 'linear-regression', 'golden');

const settings = (labels: string[]): CompareSettings => ({
  labels, data: 'mnist:test:10', evalData: 'mnist:test:10', topK: 1, probes: 1, densityRuns: 1, densitySteps: 2, l2Radii: '0.1', boxRadii: '1e-4',
  ballSteps: 1, ballSamples: 1, volumeDelta: 0.1, volumeDirections: 1, rays: 1, rayRange: '0:1:3', lineRange: '0:1:3', plane: true,
});

test('compare: labels that make the same file name (α, β; A, a) still give one result file per solution and step', (t) => {
  for (const labels of [['α', 'β', 'γ'], ['A', 'a', 'b'], ['x y', 'x_y', 'z']]) {
    const steps = compareSteps(['c1', 'c2', 'c3'], settings(labels), 'R');
    const files = steps.map((s) => s.file.toLowerCase());
    t.is(new Set(files).size, files.length, `${labels.join(',')}: ${files.join(' ')}`);
    t.is(steps.length, 3 * 8 + 2 + 1);
  }
  // Names that do not collide are kept as they are.
  t.true(compareSteps(['c1', 'c2'], settings(['SGD', 'SAM']), 'R').some((s) => s.file === path.join('R', 'SGD.hessian.json')));
});

test('check: a baseline holding no measures fails with a clear message instead of passing 0 of 0', async (t) => {
  const base = JSON.parse(readFileSync(path.join(GOLDEN, 'hessian.json'), 'utf8'));
  base.result.eigenvalues = [];
  base.result.residuals = [];
  delete base.result.trace;
  const empty = path.join(dir, 'empty-baseline.json');
  writeFileSync(empty, JSON.stringify(base));
  const r = await sharpness(['check', path.join(GOLDEN, 'hessian.json'), '--baseline', empty]);
  t.is(r.status, 2, r.stdout + r.stderr);
  t.regex(r.stderr, /check: .*empty-baseline\.json holds no measures .* so the check would pass without checking anything/);
});

test('check --update refuses to replace a baseline by a result of another command, naming both', async (t) => {
  const baseline = path.join(dir, 'hessian-baseline.json');
  copyFileSync(path.join(GOLDEN, 'hessian.json'), baseline);
  const before = readFileSync(baseline, 'utf8');
  const r = await sharpness(['check', path.join(GOLDEN, 'volume.json'), '--baseline', baseline, '--update']);
  t.is(r.status, 2, r.stderr);
  t.regex(r.stderr, /check: --update would replace .*hessian-baseline\.json, a hessian baseline \(sharpness\/hessian@1\), with .*volume\.json, a volume result \(sharpness\/volume@1\)/);
  t.is(readFileSync(baseline, 'utf8'), before, 'the baseline is untouched');
  // The same command still updates.
  const ok = await sharpness(['check', path.join(GOLDEN, 'hessian.json'), '--baseline', baseline, '--update']);
  t.is(ok.status, 0, ok.stderr);
});

test('train: a rerun of a finished run records the cost of the run, equal to the first (timing aside)', async (t) => {
  const out = path.join(dir, 'run');
  const args = ['train', '--model', 'mlp', '--data', 'synthetic:blobs:48', '--epochs', '2', '--batch-size', '16', '--method', 'sam', '--backend', 'cpu', '--out', out];
  const first = await sharpness(args);
  t.is(first.status, 0, first.stderr);
  const cost = (f: string) => {
    const c = JSON.parse(readFileSync(f, 'utf8')).cost;
    delete c.seconds;
    return c;
  };
  const c1 = cost(path.join(out, 'result.json'));
  t.is(c1.gradients, 2 * 2 * 3, 'SAM: 2 gradients per step, 3 steps per epoch, 2 epochs');
  const again = await sharpness(args);
  t.is(again.status, 0, again.stderr);
  t.deepEqual(cost(path.join(out, 'result.json')), c1);
});

test('compare: a checkpoint retrained in place is measured again, not served from the earlier results', async (t) => {
  const ck = await saveMnistMlp(path.join(dir, 'ck'), 1, 4);
  const out = path.join(dir, 'cmp');
  const args = [
    'compare', ck, '--labels', 'A', '--data', 'mnist:test:20', '--top-k', '1', '--probes', '2', '--density-runs', '1', '--density-steps', '3',
    '--l2-radii', '0.05', '--box-radii', '1e-4', '--ball-steps', '1', '--ball-samples', '1', '--volume-directions', '1', '--rays', '1',
    '--ray-range', '0:1:2', '--backend', 'cpu', '--out', out,
  ];
  const first = await sharpness(args, { timeoutMs: 240_000 });
  t.is(first.status, 0, first.stderr);
  const sha = (f: string) => {
    const d = JSON.parse(readFileSync(path.join(out, 'results', f), 'utf8'));
    return (d.checkpoint ?? d.checkpoints[0]).sha256 as string;
  };
  const before = sha('A.hessian.json');
  const same = await sharpness(args, { timeoutMs: 240_000 });
  t.is(same.status, 0, same.stderr);
  t.regex(same.stderr, /A hessian: done earlier/);
  // Retrained in place: other weights, same path.
  rmSync(ck, { recursive: true });
  await saveMnistMlp(ck, 2, 4);
  const again = await sharpness(args, { timeoutMs: 240_000 });
  t.is(again.status, 0, again.stderr);
  t.regex(again.stderr, /changed since its results were computed/);
  t.notRegex(again.stderr, /done earlier/);
  const after = sha('A.hessian.json');
  t.not(after, before);
  for (const f of ['A.evaluate-train.json', 'A.ball-l2.json', 'A.volume.json', 'A.rays.json']) t.is(sha(f), after, f);
});

test('a sigmoid output under --loss ce (or auto) is refused, naming the fix', async (t) => {
  const ck = await saveTinyCheckpoint(path.join(dir, 'sigmoid'), 'sigmoid', 2);
  const { spec } = writeTinyData(dir);
  for (const loss of ['ce', 'auto']) {
    const r = await sharpness(['evaluate', ck, '--data', spec, '--loss', loss, '--backend', 'cpu']);
    t.is(r.status, 2, `${loss}: ${r.stdout}${r.stderr}`);
    t.regex(r.stderr, /loss: .*does not fit a model whose output is a sigmoid.*use --loss bce/);
  }
  const ok = await sharpness(['evaluate', ck, '--data', spec, '--loss', 'bce', '--backend', 'cpu']);
  t.is(ok.status, 0, ok.stderr);
});

test('soft (label-smoothed) targets are not silently fitted by mse under --loss auto', async (t) => {
  const ck = await saveTinyCheckpoint(path.join(dir, 'softmax'), 'softmax', 2);
  const { x } = writeTinyData(dir);
  const y = path.join(dir, 'soft.npy');
  // Label smoothing 0.1 of two classes: rows (0.95, 0.05) and (0.05, 0.95).
  writeFileSync(y, encodeNpy(Float32Array.from({ length: SAMPLES * 2 }, (_, i) => ((i >> 1) % 2 === i % 2 ? 0.95 : 0.05)), [SAMPLES, 2]));
  const spec = `npy:${x},${y}`;
  const r = await sharpness(['evaluate', ck, '--data', spec, '--backend', 'cpu']);
  t.is(r.status, 2, r.stdout + r.stderr);
  t.regex(r.stderr, /loss: .*soft\.npy has targets that are rows of probabilities \(label-smoothed or soft targets\).*--loss auto would use mse; pass --loss mse/);
  const ok = await sharpness(['evaluate', ck, '--data', spec, '--loss', 'mse', '--backend', 'cpu']);
  t.is(ok.status, 0, ok.stderr);
});
