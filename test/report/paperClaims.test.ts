/**
 * The verdicts next to each figure: decided from the figure's data by the stated rule, in
 * both directions, and 'n/a' when the solutions a claim compares are missing.
 */
import test from 'ava';
import { accuracyClaim, lineClaim, planeClaim, raysClaim, roleOf, spectraClaim, trainingClaim } from '../../src/report/paperClaims.ts';
import type { LineFigureInput, PlaneFigureInput, TrainingFigureInput } from '../../src/report/figureInputs.ts';

test('roleOf: the method a label starts with', (t) => {
  t.is(roleOf('SGD'), 'sgd');
  t.is(roleOf('sgd from epoch 9'), 'sgd');
  t.is(roleOf('SWA of FGE'), 'swa');
  t.is(roleOf('FGE 3'), 'fge');
  t.is(roleOf('swapped'), null);
  t.is(roleOf('start (epoch 9)'), null);
});

test('spectra: agrees when SAM and SWA have the smaller lambda_max, names the paper figure', (t) => {
  const c = spectraClaim({ solutions: [{ label: 'SGD', eigenvalues: [2] }, { label: 'SAM', eigenvalues: [1] }, { label: 'SWA', eigenvalues: [1.5] }] });
  t.is(c.verdict, 'agrees');
  t.regex(c.reproduces, /Foret et al\. \(2021\).*Figure 3/);
  t.regex(c.evidence, /SGD 2.*SAM 1.*SWA 1\.5/);
  t.is(spectraClaim({ solutions: [{ label: 'SGD', eigenvalues: [2] }, { label: 'SWA', eigenvalues: [2.3] }] }).verdict, 'disagrees');
  t.is(spectraClaim({ solutions: [{ label: 'a', eigenvalues: [2] }, { label: 'b', eigenvalues: [1] }] }).verdict, 'n/a');
});

const ray = (index: number, rise: number) => ({ index, points: [{ distance: 0, trainLoss: 0.1 }, { distance: 1, trainLoss: 0.1 + rise }] });

test('rays: the mean rise at the furthest point, SWA against SGD', (t) => {
  const mk = (sgd: number, swa: number) => raysClaim({ solutions: [{ label: 'SGD', rays: [ray(0, sgd), ray(1, sgd)] }, { label: 'SWA', rays: [ray(0, swa)] }] });
  t.is(mk(2, 1).verdict, 'agrees');
  t.is(mk(1, 2).verdict, 'disagrees');
  t.regex(mk(2, 1).reproduces, /Izmailov et al\. \(2018\).*Figure 4/);
});

function line(errSwa: number, errSgd: number, beyondSgd: number, beyondSwa: number): LineFigureInput {
  // SWA at alpha 0, SGD at 1; train loss 0.1 at both, rising beyond each end
  return {
    points: [
      { alpha: -0.5, trainLoss: 0.1 + beyondSwa, evalError: 0.05 },
      { alpha: 0, trainLoss: 0.1, evalError: errSwa },
      { alpha: 0.5, trainLoss: 0.09, evalError: 0.02 },
      { alpha: 1, trainLoss: 0.1, evalError: errSgd },
      { alpha: 1.5, trainLoss: 0.1 + beyondSgd, evalError: 0.05 },
    ],
    checkpoints: [
      { label: 'SWA', alpha: 0 },
      { label: 'SGD', alpha: 1 },
    ],
  };
}

test('line through SWA and SGD: lower test error at SWA and the steeper side beyond SGD', (t) => {
  t.is(lineClaim(line(0.02, 0.03, 1, 0.2)).verdict, 'agrees');
  t.is(lineClaim(line(0.03, 0.02, 1, 0.2)).verdict, 'disagrees');
  t.is(lineClaim(line(0.02, 0.03, 0.1, 0.2)).verdict, 'disagrees');
  t.regex(lineClaim(line(0.02, 0.03, 1, 0.2)).reproduces, /Figure 5/);
  t.is(lineClaim({ ...line(0.02, 0.03, 1, 0.2), checkpoints: [{ label: 'SAM', alpha: 0 }, { label: 'SGD', alpha: 1 }] }).verdict, 'n/a');
});

const plane = (cks: PlaneFigureInput['checkpoints']): PlaneFigureInput => ({ xs: [0, 1], ys: [0, 1], metrics: [], checkpoints: cks });

test('planes: Figure 1 left for three FGE snapshots and their average, middle/right for SGD and SWA', (t) => {
  const fge = (e: number) => plane([
    { label: 'FGE 1', x: 0, y: 0, values: { trainLoss: 0.1, evalError: 0.03 } },
    { label: 'FGE 3', x: 1, y: 0, values: { trainLoss: 0.1, evalError: 0.031 } },
    { label: 'FGE 5', x: 0, y: 1, values: { trainLoss: 0.1, evalError: 0.032 } },
    { label: 'SWA of FGE', x: 0.3, y: 0.3, offPlane: 0.5, values: { trainLoss: 0.1, evalError: e } },
  ]);
  t.is(planeClaim(fge(0.02))!.verdict, 'agrees');
  t.regex(planeClaim(fge(0.02))!.reproduces, /Figure 1 left/);
  t.regex(planeClaim(fge(0.02))!.evidence, /0\.5 from the plane/);
  t.is(planeClaim(fge(0.03))!.verdict, 'disagrees');
  const two = (a: number, b: number) => plane([
    { label: 'start (epoch 9)', x: 0, y: 0 },
    { label: 'SGD from epoch 9', x: 1, y: 0, values: { trainLoss: 0.1, evalError: b } },
    { label: 'SWA', x: 0, y: 1, values: { trainLoss: 0.1, evalError: a } },
  ]);
  t.regex(planeClaim(two(0.01, 0.02))!.reproduces, /Figure 1 middle and right/);
  t.is(planeClaim(two(0.01, 0.02))!.verdict, 'agrees');
  t.is(planeClaim(two(0.03, 0.02))!.verdict, 'disagrees');
  t.is(planeClaim(plane([{ label: 'a', x: 0, y: 0 }, { label: 'b', x: 1, y: 0 }, { label: 'c', x: 0, y: 1 }])), null);
});

test('training: Figure 7, the running average against the constant-rate iterate and decaying SGD', (t) => {
  const mk = (avg: number, it: number, sgd: number): TrainingFigureInput => ({
    runs: [
      { label: 'SGD', epochs: [{ epoch: 1, trainLoss: 1, trainAcc: null, evalLoss: null, evalAcc: sgd, lr: 0.01 }] },
      { label: 'SWA', epochs: [{ epoch: 1, trainLoss: 1, trainAcc: null, evalLoss: null, evalAcc: it, lr: 0.05, averageEvalAcc: avg }] },
    ],
  });
  t.is(trainingClaim(mk(0.99, 0.97, 0.985)).verdict, 'agrees');
  t.is(trainingClaim(mk(0.98, 0.97, 0.985)).verdict, 'disagrees');
  t.regex(trainingClaim(mk(0.99, 0.97, 0.985)).evidence, /running average 1\.00%, constant-rate iterate 3\.00%, SGD \(decaying\) 1\.50%/);
  t.regex(trainingClaim(mk(0.99, 0.97, 0.985)).reproduces, /Figure 7/);
});

test('accuracy: SAM and SWA below SGD in test error', (t) => {
  const rows = (sam: number) => [
    { label: 'SGD', accuracy: { value: 0.98 } },
    { label: 'SAM', accuracy: { value: sam } },
    { label: 'SWA', accuracy: { value: 0.985 } },
  ];
  t.is(accuracyClaim(rows(0.99)).verdict, 'agrees');
  t.is(accuracyClaim(rows(0.97)).verdict, 'disagrees');
  t.is(accuracyClaim([{ label: 'x', accuracy: { value: 0.9 } }]).verdict, 'n/a');
  // FGE's ensemble counts; its single snapshots do not.
  const withFge = (ens: number) => [...rows(0.99), { label: 'FGE 1', accuracy: { value: 0.5 } }, { label: 'FGE ensemble of 5', accuracy: { value: ens } }];
  t.is(accuracyClaim(withFge(0.99)).verdict, 'agrees');
  t.is(accuracyClaim(withFge(0.97)).verdict, 'disagrees');
  t.regex(accuracyClaim(withFge(0.99)).evidence, /FGE ensemble of 5 1\.00%/);
});
