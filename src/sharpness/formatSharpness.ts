import type { BallResult } from './ballSharpness.ts';
import type { VolumeResult } from './flatVolume.ts';

/** Human-readable summaries of ball and volume results (pure; the CLI prints them). */

const num = (x: number | null, digits = 4): string => (x === null ? '-' : Number.isFinite(x) ? x.toPrecision(digits) : String(x));

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

export function formatBallResult(r: BallResult): string {
  const set = `${r.norm}${r.adaptive ? ` adaptive${r.eta > 0 ? ` (eta ${r.eta})` : ''}` : ''}`;
  const head = `ball (${set}): base loss ${num(r.baseLoss, 6)}; ${r.steps} steps, ${r.restarts} restarts, ${r.samples} samples, seed ${r.seed}`;
  const rows = r.points.map((p) => [
    num(p.radius),
    num(p.maxLoss, 6),
    num(p.sharpness),
    num(p.keskar),
    p.averageLoss === null ? '-' : `${num(p.averageLoss, 6)} ± ${num(p.averageStderr, 2)}`,
    num(p.perturbationNorm),
    String(p.gradients),
  ]);
  const body = table(['radius', 'max loss', 'sharpness', 'keskar', 'average loss', '||e||', 'gradients'], rows);
  const notes = r.points.flatMap((p) => {
    if (p.allVertices) return [`radius ${num(p.radius)}: every vertex of the set evaluated (${p.verticesEvaluated}); exact for a convex loss`];
    if (p.converged) return [];
    const why = p.runnerUpGap === null ? 'fewer than two starts reached a finite loss' : `the best two starts differ by ${num(p.runnerUpGap)} (more than ${100 * r.convergenceMargin}% of the sharpness)`;
    return [`radius ${num(p.radius)}: not converged: ${why}; raise --restarts or --steps`];
  });
  return [head, body, ...notes, `cost: ${r.cost.gradients} gradients, ${r.cost.lossEvaluations} loss evaluations`].join('\n');
}

export function formatVolumeResult(r: VolumeResult): string {
  const estimate = (e: { dimension: number; logVolume: number; logVolumeCI: [number, number]; geometricMeanRadius: number; censored: { count: number }; radii: number[] }) =>
    `log volume ${num(e.logVolume, 6)} [${num(e.logVolumeCI[0], 6)}, ${num(e.logVolumeCI[1], 6)}], d = ${e.dimension}, ` +
    `geometric mean radius ${num(e.geometricMeanRadius)}, censored ${e.censored.count}/${e.radii.length}`;
  const lines = [
    `volume (delta ${r.delta}, ${r.directions} ${r.norm === 'none' ? 'unit' : `${r.norm}-normalised`} directions, seed ${r.seed}): base loss ${num(r.baseLoss, 6)}`,
    `  ${estimate(r)}`,
    `  radius quantiles p05 ${num(r.quantiles.p05)}, p25 ${num(r.quantiles.p25)}, p50 ${num(r.quantiles.p50)}, p75 ${num(r.quantiles.p75)}, p95 ${num(r.quantiles.p95)}`,
  ];
  for (const l of r.perLayer ?? []) lines.push(`  ${l.layer}: ${estimate(l)}`);
  lines.push(
    `  note: in high dimension the estimate is dominated by the flattest sampled directions and is a lower bound in expectation` +
      (r.lowerBound ? `; ${r.censored.count} radii reached --max-radius ${r.maxRadius} and entered at it (a further lower bound)` : ''),
  );
  lines.push(`cost: ${r.cost.lossEvaluations} loss evaluations`);
  return lines.join('\n');
}
