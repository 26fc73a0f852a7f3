/**
 * The widths check each other. Near a minimum w with Hessian H (d parameters), the loss is
 * close to the quadratic L(w + e) = L(w) + e'He / 2, which predicts every width from the
 * spectrum:
 * - worst case over the l2 ball of radius r: the increase r^2 lambda_max / 2 (exact for a
 *   convex quadratic at its minimum);
 * - average over uniform points of that ball, E[e e'] = r^2 / (d + 2) I: r^2 tr(H) / (2 (d + 2));
 * - flat-volume radius along a unit direction u (loss up by delta): sqrt(2 delta / u'Hu), so
 *   every radius is at least sqrt(2 delta / lambda_max), and as E[u'Hu] = tr(H) / d the
 *   typical one is sqrt(2 delta d / tr(H)) (exact when H is a multiple of the identity; by
 *   Jensen the geometric mean over random u is at least this).
 * The ratio measured / predicted is 1 on a quadratic; far from 1 it shows where the loss is
 * not quadratic at that scale (higher-order terms, or not at a minimum). Pure.
 */

/** What one solution's results say, as the predictions need it. */
export interface WidthData {
  label: string;
  lambdaMax?: number;
  trace?: number;
  /** The number of parameters the directions span (the volume's `dimension`). */
  dimension?: number;
  /** The non-adaptive l2 ball: the loss at w and, per radius, the worst and average loss found. */
  l2Ball?: { baseLoss: number; points: { radius: number; maxLoss: number; averageLoss: number | null }[] };
  /** Flat volume with unit (unnormalised) directions. */
  volume?: { delta: number; radii: number[]; censored: number[]; geometricMeanRadius: number };
}

export type ConsistencyMeasure = 'worst-case l2 increase' | 'average l2-ball increase' | 'smallest flat radius' | 'typical flat radius';

export interface ConsistencyRow {
  label: string;
  measure: ConsistencyMeasure;
  /** Where: the radius, or the loss increase delta. */
  at: string;
  measured: number;
  predicted: number;
  /** measured / predicted. */
  ratio: number;
  /** The formula of the prediction. */
  formula: string;
}

/** How a ratio should read on a quadratic: 'equal' (1), or 'at least' (>= 1: a bound). */
export const EXPECTED: Record<ConsistencyMeasure, 'equal' | 'at least'> = {
  'worst-case l2 increase': 'equal',
  'average l2-ball increase': 'equal',
  'smallest flat radius': 'at least',
  'typical flat radius': 'at least',
};

/** The measured widths against the quadratic predictions, per solution; rows only where both sides are known. */
export function widthConsistency(data: readonly WidthData[]): ConsistencyRow[] {
  const rows: ConsistencyRow[] = [];
  for (const s of data) {
    const push = (measure: ConsistencyMeasure, at: string, measured: number, predicted: number, formula: string) => {
      if (Number.isFinite(measured) && Number.isFinite(predicted) && predicted > 0) rows.push({ label: s.label, measure, at, measured, predicted, ratio: measured / predicted, formula });
    };
    if (s.l2Ball) {
      for (const p of s.l2Ball.points) {
        const r = p.radius;
        if (s.lambdaMax !== undefined) push('worst-case l2 increase', `r = ${r}`, p.maxLoss - s.l2Ball.baseLoss, (r * r * s.lambdaMax) / 2, 'r² λ_max / 2');
        if (s.trace !== undefined && s.dimension !== undefined && p.averageLoss !== null) {
          push('average l2-ball increase', `r = ${r}`, p.averageLoss - s.l2Ball.baseLoss, (r * r * s.trace) / (2 * (s.dimension + 2)), 'r² tr(H) / (2 (d + 2))');
        }
      }
    }
    if (s.volume) {
      const v = s.volume;
      const censored = new Set(v.censored);
      const found = v.radii.filter((_, i) => !censored.has(i));
      if (s.lambdaMax !== undefined && s.lambdaMax > 0 && found.length > 0) {
        push('smallest flat radius', `δ = ${v.delta}`, Math.min(...found), Math.sqrt((2 * v.delta) / s.lambdaMax), '√(2δ / λ_max)');
      }
      if (s.trace !== undefined && s.trace > 0 && s.dimension !== undefined) {
        push('typical flat radius', `δ = ${v.delta}`, v.geometricMeanRadius, Math.sqrt((2 * v.delta * s.dimension) / s.trace), '√(2δ d / tr(H))');
      }
    }
  }
  return rows;
}
