/**
 * Random rays from each solution (Izmailov et al. 2018, Fig. 3; Keskar et al. 2017):
 * loss and error against the distance from the solution, one line per ray, one colour per
 * solution, train solid and test dashed.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { FigureOptions, RaysFigureInput } from '../figureInputs.ts';
import { PANEL } from '../theme.ts';
import { paletteFor, finite, frame, percent, solutionColour, splitDash, SPLITS, type Split } from './common.ts';

interface Row {
  solution: string;
  ray: string;
  distance: number;
  metric: 'loss' | 'error';
  split: Split;
  value: number;
}

export function rayRows(input: RaysFigureInput): Row[] {
  const rows: Row[] = [];
  for (const s of input.solutions) {
    for (const ray of s.rays) {
      const id = `${s.label}/${ray.index}`;
      for (const p of ray.points) {
        const push = (metric: Row['metric'], split: Split, v: number | null | undefined, scale: (x: number) => number) => {
          if (finite(v) && finite(p.distance)) rows.push({ solution: s.label, ray: id, distance: p.distance, metric, split, value: scale(v) });
        };
        push('loss', 'train', p.trainLoss, (x) => x);
        push('loss', 'test', p.evalLoss, (x) => x);
        push('error', 'train', p.trainError, percent);
        push('error', 'test', p.evalError, percent);
      }
    }
  }
  return rows;
}

export function raysSpec(input: RaysFigureInput, options: FigureOptions = {}): TopLevelSpec {
  const rows = rayRows(input);
  const palette = paletteFor(options, input.solutions.map((s) => s.label));
  const panels = (['loss', 'error'] as const).flatMap((metric) => {
    const splits = SPLITS.filter((sp) => rows.some((r) => r.metric === metric && r.split === sp));
    if (splits.length === 0) return [];
    const what = metric === 'loss' ? 'loss' : 'error (%)';
    const title = splits.length === 1 ? `${splits[0]} ${what}` : what;
    const log = metric === 'loss' && input.logLoss === true;
    return [
      {
        width: PANEL.width,
        height: PANEL.height,
        transform: [{ filter: { field: 'metric', equal: metric } }],
        mark: { type: 'line' as const, opacity: 0.85, strokeWidth: 1.25 },
        encoding: {
          x: { field: 'distance', type: 'quantitative' as const, title: input.distanceTitle ?? 'distance', scale: { nice: false } },
          y: { field: 'value', type: 'quantitative' as const, title, scale: log ? { type: 'log' as const } : { zero: metric === 'error' } },
          color: solutionColour(palette),
          detail: { field: 'ray', type: 'nominal' as const },
          ...(splits.length > 1 ? { strokeDash: splitDash(splits) } : {}),
        },
      },
    ];
  });
  return {
    ...frame(options),
    data: { values: rows },
    hconcat: panels,
  };
}
