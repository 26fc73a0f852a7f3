/** The few lines `sharpness hessian` prints without --json. */
import type { HessianReport } from './hessianReport.ts';

export function formatHessian(r: HessianReport): string {
  const lines = [
    `hessian (${r.solver}, ${r.which}): ${r.converged ? 'converged' : 'NOT converged'} after ${r.iterations} iterations, ${r.totalHvps} HVPs`,
    ...r.eigenvalues.map((l, i) => `  lambda_${i + 1} = ${l.toPrecision(6)}   residual ${r.residuals[i]!.toExponential(2)}`),
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

/** The warning printed after a result whose eigenvalues did not converge; undefined when they did. */
export function hessianConvergenceNote(r: HessianReport): string | undefined {
  if (r.converged) return undefined;
  return `hessian: NOT converged within --max-iter ${r.maxIter} (residuals ${r.residuals.map((x) => x.toExponential(1)).join(', ')}); raise --max-iter or --tol`;
}
