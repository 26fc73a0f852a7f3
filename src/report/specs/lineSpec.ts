/**
 * The line through two or more solutions, w(alpha) = w_0 + alpha (w_1 - w_0) (Goodfellow
 * et al. 2015; Izmailov et al. 2018, Fig. 5): loss and error against alpha, train solid
 * and test dashed, with a marker in each solution's colour where it lies on the line.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { FigureOptions, LineFigureInput } from '../figureInputs.ts';
import type { LandscapeMetrics, LinePoint } from '../figureInputs.ts';
import { INK, PANEL } from '../theme.ts';
import { paletteFor, finite, frame, percent, solutionColour, splitDash, SPLITS, type Split } from './common.ts';

type Metric = 'loss' | 'error';

const FIELDS: Record<Metric, Record<Split, keyof LinePoint>> = {
  loss: { train: 'trainLoss', test: 'evalLoss' },
  error: { train: 'trainError', test: 'evalError' },
};

/** Linear interpolation of `key` along the (alpha-sorted) points; null outside or where missing. */
export function interpolateAt(points: readonly LinePoint[], key: keyof LinePoint, alpha: number): number | null {
  const pts = points.filter((p) => finite(p[key] as number | null | undefined)).sort((a, b) => a.alpha - b.alpha);
  for (let i = 0; i < pts.length; i++) {
    const p = pts[i]!;
    if (p.alpha === alpha) return p[key] as number;
    const q = pts[i + 1];
    if (q && p.alpha < alpha && alpha < q.alpha) {
      const t = (alpha - p.alpha) / (q.alpha - p.alpha);
      return (p[key] as number) * (1 - t) + (q[key] as number) * t;
    }
  }
  return null;
}

export function lineSpec(input: LineFigureInput, options: FigureOptions = {}): TopLevelSpec {
  const palette = paletteFor(options, input.checkpoints.map((c) => c.label));
  const scaleOf = (metric: Metric) => (metric === 'error' ? percent : (x: number) => x);
  const panels = (['loss', 'error'] as const).flatMap((metric) => {
    const splits = SPLITS.filter((sp) => input.points.some((p) => finite(p[FIELDS[metric][sp]] as number | null | undefined)));
    if (splits.length === 0) return [];
    const scale = scaleOf(metric);
    const curve = input.points.flatMap((p) =>
      splits.flatMap((split) => {
        const v = p[FIELDS[metric][split]] as number | null | undefined;
        return finite(v) ? [{ alpha: p.alpha, split, value: scale(v) }] : [];
      }),
    );
    const markers = input.checkpoints.flatMap((c) =>
      splits.flatMap((split) => {
        const own = c.values?.[FIELDS[metric][split] as keyof LandscapeMetrics];
        const v = finite(own) ? own : interpolateAt(input.points, FIELDS[metric][split], c.alpha);
        return v === null ? [] : [{ solution: c.label, alpha: c.alpha, split, value: scale(v) }];
      }),
    );
    const what = metric === 'loss' ? 'loss' : 'error (%)';
    const title = splits.length === 1 ? `${splits[0]} ${what}` : what;
    const log = metric === 'loss' && input.logLoss === true;
    const x = { field: 'alpha', type: 'quantitative' as const, title: 'α', scale: { nice: false } };
    const y = {
      field: 'value',
      type: 'quantitative' as const,
      title,
      scale: log ? { type: 'log' as const } : { zero: metric === 'error' },
    };
    return [
      {
        width: PANEL.width,
        height: PANEL.height,
        layer: [
          {
            data: { values: input.checkpoints.map((c) => ({ alpha: c.alpha })) },
            mark: { type: 'rule' as const, color: '#aaaaaa', strokeDash: [2, 2], strokeWidth: 1 },
            encoding: { x: { field: 'alpha', type: 'quantitative' as const } },
          },
          {
            data: { values: curve },
            mark: { type: 'line' as const, color: INK, strokeWidth: 1.5 },
            encoding: { x, y, ...(splits.length > 1 ? { strokeDash: splitDash(splits) } : {}) },
          },
          {
            data: { values: markers },
            mark: { type: 'point' as const, filled: true, size: 70, stroke: 'white', strokeWidth: 1, opacity: 1 },
            encoding: { x, y, color: solutionColour(palette) },
          },
        ],
      },
    ];
  });
  return { ...frame(options), hconcat: panels };
}
