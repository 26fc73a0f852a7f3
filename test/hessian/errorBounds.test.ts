/**
 * Eigenvalue error bounds against closed forms: on quadratics with known spectra (float64
 * truth), every reported bound covers the true error |lambda - lambda_true|, for loose and
 * tight --tol; `converged` is true when the eigenvalues are as accurate as asked (bound <=
 * tol |lambda|), also where the residual alone (float32-limited) would say no; below the
 * float32 floor converged is false and the note says that more steps cannot help.
 */
import test from 'ava';
import { createQuadraticObjective } from '../../src/objective/quadraticObjective.ts';
import { hvpOperator } from '../../src/hessian/HvpOperator.ts';
import { eigenvalueErrorBound, lanczosEigenpairs, ROUNDING } from '../../src/hessian/lanczosEigenpairs.ts';
import { powerIteration } from '../../src/hessian/powerIteration.ts';
import { hessianReport } from '../../src/hessian/hessianReport.ts';
import { hessianConvergenceNote } from '../../src/hessian/formatHessian.ts';
import { useBackend } from '../helpers/engine.ts';

test.before(async () => {
  await useBackend('cpu');
});

function spectrum(d: number): number[] {
  // decaying, with a small negative tail; gaps shrink down the spectrum
  return Array.from({ length: d }, (_, i) => 50 / (i + 1) ** 1.2 - (i > d - 3 ? 3 : 0));
}

test('eigenvalueErrorBound: min(residual, residual^2 / gap) plus float32 rounding', (t) => {
  t.is(eigenvalueErrorBound(1e-3, 0.5, 0), 2e-6);
  t.is(eigenvalueErrorBound(1e-3, null, 0), 1e-3);
  t.is(eigenvalueErrorBound(1e-3, 1e-4, 0), 1e-3, 'a gap smaller than the residual: the residual bound');
  t.is(eigenvalueErrorBound(0, 1, 10), 10 * ROUNDING);
});

test('lanczos: every error bound covers the true error; converged when accurate to --tol', (t) => {
  for (const d of [30, 200]) {
    for (const seed of [1, 2]) {
      const eig = spectrum(d);
      const truth = [...eig].sort((a, b) => b - a);
      const q = createQuadraticObjective({ eigenvalues: eig, seed });
      for (const tol of [1e-2, 1e-3, 1e-6]) {
        const r = lanczosEigenpairs(hvpOperator(q), { topK: 3, tol, seed });
        t.is(r.errorBounds.length, 3);
        r.eigenvalues.forEach((l, i) => {
          const err = Math.abs(l - truth[i]!);
          t.true(err <= r.errorBounds[i]!, `d=${d} seed=${seed} tol=${tol} lambda_${i + 1}: error ${err} > bound ${r.errorBounds[i]}`);
          t.true(r.errorBounds[i]! <= r.residuals[i]! + ROUNDING * Math.abs(truth[0]!) * 1.01, 'never worse than the residual bound');
          t.is(r.convergedEach[i], r.errorBounds[i]! <= tol * Math.abs(l));
          if (r.convergedEach[i]) t.true(err <= tol * Math.abs(truth[i]!) * 1.0001, 'converged means accurate to tol');
        });
        t.true(r.converged, `d=${d} seed=${seed} tol=${tol}`);
        t.true(r.gaps.every((g) => g === null || g > 0));
      }
      q.dispose();
    }
  }
});

test('a residual above tol |lambda| with an eigenvalue accurate to tol: converged (the Kato-Temple bound)', (t) => {
  // A loose run: the Ritz residual passes tol = 3e-3 while the error, ~ residual^2 / gap, is far below it.
  const eig = spectrum(60);
  const truth = [...eig].sort((a, b) => b - a);
  const q = createQuadraticObjective({ eigenvalues: eig, seed: 4 });
  const r = lanczosEigenpairs(hvpOperator(q), { topK: 1, tol: 3e-3, seed: 4 });
  const err = Math.abs(r.eigenvalues[0]! - truth[0]!);
  const tight = 3e-5;
  // the residual test would fail at this accuracy, the error bound passes it
  t.true(r.residuals[0]! > tight * Math.abs(truth[0]!), `residual ${r.residuals[0]}`);
  t.true(r.errorBounds[0]! <= tight * Math.abs(truth[0]!), `bound ${r.errorBounds[0]}`);
  t.true(err <= r.errorBounds[0]!);
  q.dispose();
});

test('below the float32 floor: not converged, and the note says more steps cannot help', (t) => {
  const q = createQuadraticObjective({ eigenvalues: spectrum(40), seed: 3 });
  const report = hessianReport(hvpOperator(q), { topK: 2, tol: 1e-9, seed: 3 });
  t.false(report.converged);
  t.true(report.iterations < report.maxIter, `stopped at ${report.iterations} of ${report.maxIter}`);
  const note = hessianConvergenceNote(report)!;
  t.regex(note, /^hessian: NOT converged to --tol 1e-9: relative error bounds lambda_1 \S+, lambda_2 \S+ after \d+ of --max-iter 200 steps; .*more steps cannot help: float32 rounding limits the bounds\. Use --tol \S+ or larger$/);
  // the tol it suggests is met
  const suggested = Number(/Use --tol (\S+) or larger/.exec(note)![1]);
  t.true(hessianReport(hvpOperator(q), { topK: 2, tol: suggested * 10, seed: 3 }).converged);
  // budget exhausted: raise --max-iter
  const short = hessianReport(hvpOperator(q), { topK: 2, tol: 1e-6, maxIter: 3, seed: 3 });
  t.regex(hessianConvergenceNote(short)!, /NOT converged within --max-iter 3 .*raise --max-iter/);
  q.dispose();
});

test('power iteration: the residual bound covers the true error', (t) => {
  const eig = spectrum(30);
  const truth = [...eig].sort((a, b) => b - a);
  const q = createQuadraticObjective({ eigenvalues: eig, seed: 5 });
  const r = powerIteration(hvpOperator(q), { topK: 2, tol: 1e-4, seed: 5 });
  r.eigenvalues.forEach((l, i) => t.true(Math.abs(l - truth[i]!) <= r.errorBounds[i]!, `lambda_${i + 1}`));
  t.deepEqual(r.gaps, [null, null]);
  q.dispose();
});
