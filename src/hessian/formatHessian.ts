/** The few lines `sharpness hessian` prints without --json. */
import type { HessianReport } from './hessianReport.ts';

export function formatHessian(r: HessianReport): string {
  const lines = [
    `hessian (${r.solver}, ${r.which}): ${r.converged ? 'converged' : 'NOT converged'} after ${r.iterations} iterations, ${r.totalHvps} HVPs`,
    ...r.eigenvalues.map((l, i) => `  lambda_${i + 1} = ${l.toPrecision(6)} ± ${r.errorBounds[i]!.toExponential(1)}   residual ${r.residuals[i]!.toExponential(2)}`),
  ];
  if (r.trace) lines.push(`  trace = ${r.trace.estimate.toPrecision(6)} ± ${r.trace.stderr?.toPrecision(3) ?? 'n/a'} (${r.trace.method}, ${r.trace.samples} probes)`);
  if (r.density) {
    const nodes = r.density.nodes.flat();
    lines.push(`  density: ${r.density.runs} SLQ runs x ${r.density.steps} steps, nodes in [${Math.min(...nodes).toPrecision(4)}, ${Math.max(...nodes).toPrecision(4)}]`);
  }
  if (r.perLayer) {
    for (const l of r.perLayer) lines.push(`  ${l.layer}: lambda_max ${l.eigenvalue.toPrecision(5)}, trace ${l.trace.estimate.toPrecision(5)} ± ${l.trace.stderr?.toPrecision(2) ?? 'n/a'}`);
  }
  return lines.join('\n');
}

/**
 * The warning printed after a result whose eigenvalues did not converge; undefined when they
 * did. It says what would help: more steps when the budget ran out; when the run stopped
 * early (its residuals passed) the error bounds are at float32's limit and only a larger
 * --tol can be met.
 */
export function hessianConvergenceNote(r: HessianReport): string | undefined {
  if (r.converged) return undefined;
  const bad = r.eigenvalues.map((_, i) => i).filter((i) => !r.convergedEach[i]);
  const relative = (i: number) => r.errorBounds[i]! / Math.abs(r.eigenvalues[i]!);
  const list = (is: number[]) => is.map((i) => `lambda_${i + 1} ${relative(i).toExponential(1)}`).join(', ');
  if (bad.length === 0) {
    return `hessian: every eigenvalue is within --tol ${r.tol}, but the check for repeated eigenvalues did not finish within --max-iter ${r.maxIter}; raise --max-iter`;
  }
  const stoppedEarly = r.solver === 'lanczos' && r.iterations < r.maxIter;
  if (stoppedEarly) {
    const floor = Math.max(...bad.map(relative));
    return (
      `hessian: NOT converged to --tol ${r.tol}: relative error bounds ${list(bad)} after ${r.iterations} of --max-iter ${r.maxIter} steps; ` +
      `the run stopped because its residuals passed, and more steps cannot help: float32 rounding limits the bounds. Use --tol ${floor.toExponential(0)} or larger`
    );
  }
  return `hessian: NOT converged within --max-iter ${r.maxIter} (residuals ${r.residuals.map((x) => x.toExponential(1)).join(', ')}); raise --max-iter or --tol`;
}
