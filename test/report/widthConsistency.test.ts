/**
 * The widths check each other: on quadratics the measured ball and volume widths equal the
 * predictions from lambda_max and tr(H) (worst case exactly; the uniform-ball average within
 * its sampling error; radii exactly when H = c I, and never below the bounds otherwise).
 */
import test from 'ava';
import { createQuadraticObjective } from '../../src/objective/quadraticObjective.ts';
import { ballSharpness } from '../../src/sharpness/ballSharpness.ts';
import { flatVolume } from '../../src/sharpness/flatVolume.ts';
import { EXPECTED, widthConsistency, type WidthData } from '../../src/report/widthConsistency.ts';
import { useBackend } from '../helpers/engine.ts';

test.before(async () => {
  await useBackend('cpu');
});

function measure(eigenvalues: number[], seed: number): WidthData {
  const d = eigenvalues.length;
  const q = createQuadraticObjective({ eigenvalues, seed, baseLoss: 0.2 });
  const ball = ballSharpness(q, { norm: 'l2', radii: [0.05, 0.2], samples: 200, restarts: 1, steps: 40, seed: 1 });
  const vol = flatVolume(q, { delta: 0.1, directions: 40, seed: 2, bootstrap: 50 });
  q.dispose();
  return {
    label: 'Q',
    lambdaMax: Math.max(...eigenvalues),
    trace: eigenvalues.reduce((a, b) => a + b, 0),
    dimension: d,
    l2Ball: { baseLoss: ball.baseLoss, points: ball.points.map((p) => ({ radius: p.radius, maxLoss: p.maxLoss, averageLoss: p.averageLoss })) },
    volume: { delta: vol.delta, radii: vol.radii, censored: vol.censored.indices, geometricMeanRadius: vol.geometricMeanRadius },
  };
}

test('H = c I: every measured width equals its prediction', (t) => {
  const rows = widthConsistency([measure(Array.from({ length: 40 }, () => 1.5), 3)]);
  t.deepEqual([...new Set(rows.map((r) => r.measure))].sort(), ['average l2-ball increase', 'smallest flat radius', 'typical flat radius', 'worst-case l2 increase']);
  for (const r of rows) {
    // the uniform-ball average has sampling error (|e|^2 varies by ~1/d); the rest are exact up to float32 and the bisection tolerance
    const tol = r.measure === 'average l2-ball increase' ? 0.03 : 3e-3;
    t.true(Math.abs(r.ratio - 1) < tol, `${r.measure} ${r.at}: measured ${r.measured} predicted ${r.predicted}`);
  }
});

test('anisotropic quadratic: worst case and average as predicted, radii at or above their bounds', (t) => {
  const eig = Array.from({ length: 30 }, (_, i) => 4 / (i + 1));
  const rows = widthConsistency([measure(eig, 5)]);
  for (const r of rows) {
    if (r.measure === 'worst-case l2 increase') t.true(Math.abs(r.ratio - 1) < 1e-4, `${r.at}: ${r.ratio}`);
    else if (r.measure === 'average l2-ball increase') t.true(Math.abs(r.ratio - 1) < 0.15, `${r.at}: ${r.ratio}`);
    else t.true(r.ratio >= 1 - 1e-3, `${r.measure}: ${r.ratio} (a bound)`);
    t.is(EXPECTED[r.measure] === 'equal', r.measure.endsWith('increase'));
  }
});

test('rows only where both sides are known; a zero prediction is left out', (t) => {
  t.deepEqual(widthConsistency([{ label: 'a', lambdaMax: 1 }]), []);
  const rows = widthConsistency([{ label: 'a', trace: 3, l2Ball: { baseLoss: 0, points: [{ radius: 0.1, maxLoss: 1, averageLoss: 0.5 }] } }]);
  t.deepEqual(rows, [], 'no dimension: no average prediction; no lambda_max: no worst case');
  const one = widthConsistency([{ label: 'a', lambdaMax: 2, l2Ball: { baseLoss: 0.1, points: [{ radius: 0.1, maxLoss: 0.12, averageLoss: null }] } }]);
  t.is(one.length, 1);
  t.true(Math.abs(one[0]!.predicted - 0.01) < 1e-12);
  t.true(Math.abs(one[0]!.ratio - 2) < 1e-9);
});

test('the consistency figure compiles: one panel per measure, ratios on a log axis', async (t) => {
  const { compile } = await import('vega-lite');
  const { consistencySpec } = await import('../../src/report/specs/consistencySpec.ts');
  const rows = widthConsistency([{ label: 'SGD', lambdaMax: 2, trace: 40, dimension: 100, l2Ball: { baseLoss: 0.1, points: [{ radius: 0.1, maxLoss: 0.12, averageLoss: 0.101 }] } }]);
  const spec = consistencySpec(rows, { solutions: ['SGD'] }) as { hconcat: unknown[] };
  t.is(spec.hconcat.length, 2);
  t.notThrows(() => compile(spec as never));
});
