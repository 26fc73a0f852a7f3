import type { LandscapeResult } from './assembleLandscape.ts';
import type { PointValues } from './landscapeTypes.ts';

function num(x: number | null | undefined, digits = 4): string {
  return x === null || x === undefined ? "n/a" : String(Number(x.toPrecision(digits)));
}

function vals(v: PointValues): string {
  const parts = [`train loss ${num(v.trainLoss)}`];
  if (v.trainError !== null) parts.push(`train error ${num(v.trainError, 3)}`);
  if (v.evalLoss !== undefined) parts.push(`eval loss ${num(v.evalLoss)}`);
  if (v.evalError !== undefined && v.evalError !== null) parts.push(`eval error ${num(v.evalError, 3)}`);
  return parts.join(', ');
}

/** A few lines summarising a landscape for the terminal. */
export function formatLandscape(r: LandscapeResult): string {
  const ax = r.axes;
  const range = (a: { name: string; values: number[] }) => `${a.name} in [${num(a.values[0])}, ${num(a.values[a.values.length - 1])}] (${a.values.length})`;
  const grid = ax.y ? `${range(ax.x)} x ${range(ax.y)}` : range(ax.x);
  const lines: string[] = [];
  const dir = r.directions ? `, ${r.directions.norm}-normalised directions${r.directions.ignore.length ? ` (ignoring ${r.directions.ignore.join(',')})` : ''}, seed ${r.directions.seed}` : '';
  const head = r.kind === 'rays' ? `${r.rays?.length ?? 0} rays, ` : '';
  lines.push(`landscape (${r.kind}): ${head}${grid}, ${r.summary.points} points${dir}, BatchNorm ${r.bn}`);
  for (const c of r.checkpoints) {
    const at = c.y === undefined ? `${ax.x.name} = ${num(c.x)}` : `(${num(c.x)}, ${num(c.y)})`;
    lines.push(`  ${c.label} at ${at}: ${vals(c)}`);
  }
  lines.push(`  train loss over the grid: min ${num(r.summary.minTrainLoss)}, max ${num(r.summary.maxTrainLoss)}${r.summary.nonFinite ? `, ${r.summary.nonFinite} points not finite` : ''}`);
  if (r.line) lines.push(`  ||wB - wA|| = ${num(r.line.length)}`);
  if (r.directions?.cosine !== undefined) lines.push(`  cosine between the two directions: ${num(r.directions.cosine, 3)}`);
  return lines.join('\n');
}
