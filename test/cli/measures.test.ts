/**
 * The measuring commands from the CLI on a real checkpoint and MNIST: documents have the
 * documented shape, agree with the library called directly, and repeat exactly for a seed.
 */
import path from 'node:path';
import test from 'ava';
import { sharpness } from '../helpers/cli.ts';
import { tempDir, saveMnistMlp } from '../helpers/checkpoints.ts';
import { useBackend } from '../helpers/engine.ts';

let ckpt = '';
test.before(async () => {
  await useBackend('cpu');
  const dir = await tempDir();
  ckpt = await saveMnistMlp(path.join(dir, 'mlp'), 3, 8);
});

const strip = (doc: { cost: { seconds: number } }) => ({ ...doc, cost: { ...doc.cost, seconds: 0 } });

test('ball: per-radius points with the documented fields; keskar = 100 (max - base) / (1 + base); same seed, same JSON', async (t) => {
  const args = ['ball', ckpt, '--data', 'mnist:test:200', '--radius', '0.01,0.1', '--norm', 'l2', '--steps', '3', '--samples', '4', '--json', '--backend', 'cpu'];
  const r = await sharpness(args);
  t.is(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  t.is(doc.schema, 'sharpness/ball@1');
  const res = doc.result;
  t.is(res.points.length, 2);
  for (const p of res.points) {
    for (const k of ['radius', 'maxLoss', 'sharpness', 'keskar', 'averageLoss', 'averageStderr', 'perturbationNorm', 'iterations', 'gradients']) {
      t.true(k in p, k);
    }
    t.true(p.maxLoss >= res.baseLoss);
    t.true(Math.abs(p.sharpness - (p.maxLoss - res.baseLoss)) < 1e-12);
    t.true(Math.abs(p.keskar - (100 * (p.maxLoss - res.baseLoss)) / (1 + res.baseLoss)) < 1e-9);
    t.true(p.perturbationNorm <= p.radius * (1 + 1e-5));
  }
  t.true(res.points[1].maxLoss > res.points[0].maxLoss);
  const again = await sharpness(args);
  t.deepEqual(strip(JSON.parse(again.stdout)), strip(doc));
});

test('volume: radii, censoring, CI around the estimate; same seed, same JSON', async (t) => {
  const args = ['volume', ckpt, '--data', 'mnist:test:200', '--delta', '0.05', '--directions', '6', '--json', '--backend', 'cpu'];
  const r = await sharpness(args);
  t.is(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  const res = doc.result;
  t.is(res.delta, 0.05);
  t.is(res.radii.length, 6);
  t.is(res.dimension, 784 * 8 + 8 + 8 * 10 + 10);
  t.true(res.logVolumeCI[0] <= res.logVolume && res.logVolume <= res.logVolumeCI[1]);
  t.is(typeof res.censored.count, 'number');
  const again = await sharpness(args);
  t.deepEqual(strip(JSON.parse(again.stdout)), strip(doc));
});

test('bad options fail before any loading with one line and exit 2', async (t) => {
  for (const [args, re] of [
    [['ball', ckpt, '--data', 'mnist:test:10', '--radius', '-0.1'], /--radius/],
    [['ball', ckpt, '--data', 'mnist:test:10', '--radius', '0.1', '--norm', 'l3'], /--norm/],
    [['volume', ckpt, '--data', 'mnist:test:10', '--delta', '0'], /delta/],
    [['hessian', ckpt, '--data', 'mnist:test:10', '--top-k', '0'], /--top-k must be an integer in 1..10000, got 0/],
    [['hessian', ckpt, '--data', 'mnist:test:10', '--smallest', '--solver', 'power'], /--smallest needs --solver lanczos/],
    [['ball', ckpt, '--data', 'nope:1', '--radius', '0.1'], /data/],
  ] as const) {
    const r = await sharpness([...args, '--backend', 'cpu']);
    t.is(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, re);
    t.is(r.stderr.trim().split('\n').filter((l) => l.startsWith('sharpness:')).length, 1);
  }
});

test('hessian: descending eigenvalues with residuals, trace with its standard error, density integrating to 1', async (t) => {
  const r = await sharpness([
    'hessian', ckpt, '--data', 'mnist:test:300', '--top-k', '2', '--trace', '--probes', '8', '--density', '--runs', '1', '--steps', '12',
    '--json', '--backend', 'cpu',
  ]);
  t.is(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout).result;
  t.is(res.eigenvalues.length, 2);
  t.true(res.eigenvalues[0] >= res.eigenvalues[1]);
  t.is(res.residuals.length, 2);
  t.is(typeof res.converged, 'boolean');
  t.is(res.trace.samples, 8);
  t.true(res.trace.stderr > 0);
  const { grid, values } = res.density;
  let integral = 0;
  for (let i = 1; i < grid.length; i++) integral += ((values[i] + values[i - 1]) / 2) * (grid[i] - grid[i - 1]);
  t.true(Math.abs(integral - 1) < 1e-6, `${integral}`);
  const hv = JSON.parse(r.stdout).cost.hvps;
  t.true(hv >= res.totalHvps);
  const again = await sharpness([
    'hessian', ckpt, '--data', 'mnist:test:300', '--top-k', '2', '--trace', '--probes', '8', '--density', '--runs', '1', '--steps', '12',
    '--json', '--backend', 'cpu',
  ]);
  t.deepEqual(strip(JSON.parse(again.stdout)), strip(JSON.parse(r.stdout)), 'same seed, same document');
});
