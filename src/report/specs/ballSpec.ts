/**
 * eps-sharpness against the radius (Keskar et al. 2017, Table 2 and Fig. 4, over
 * several radii): 100 (L_max - L) / (1 + L) of the worst case found (solid, a lower
 * bound of the true maximum) and of the average over random points of the set (dashed,
 * with 95% error bars), one colour per solution and one panel per norm.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { BallFigureInput, BallSeries, FigureOptions } from '../figureInputs.ts';
import { PANEL } from '../theme.ts';
import { paletteFor, finite, frame, solutionColour, unique, wantsLog } from './common.ts';

export const BallCase = { worst: 'worst case', average: 'average' } as const;

/** The panel a series belongs to, e.g. 'l2', 'adaptive l2', 'box'. */
export function ballGroup(s: Pick<BallSeries, 'norm' | 'adaptive'>): string {
  return `${s.adaptive ? 'adaptive ' : ''}${s.norm}`;
}

const Z95 = 1.959964;

export function ballRows(series: readonly BallSeries[]) {
  return series.flatMap((s) => {
    const scale = 100 / (1 + s.baseLoss);
    return s.points.flatMap((p) => {
      const out: { solution: string; group: string; radius: number; case: string; value: number; lo?: number; hi?: number }[] = [];
      const group = ballGroup(s);
      if (finite(p.keskar)) out.push({ solution: s.label, group, radius: p.radius, case: BallCase.worst, value: p.keskar });
      if (finite(p.averageLoss)) {
        const value = (p.averageLoss - s.baseLoss) * scale;
        const half = finite(p.averageStderr) ? Z95 * p.averageStderr * scale : null;
        out.push({
          solution: s.label,
          group,
          radius: p.radius,
          case: BallCase.average,
          value,
          ...(half === null ? {} : { lo: value - half, hi: value + half }),
        });
      }
      return out;
    });
  });
}

export function ballSpec(input: BallFigureInput, options: FigureOptions = {}): TopLevelSpec {
  const palette = paletteFor(options, input.series.map((s) => s.label));
  const rows = ballRows(input.series);
  const groups = unique(input.series.map(ballGroup));
  const cases = [BallCase.worst, BallCase.average].filter((c) => rows.some((r) => r.case === c));
  const panels = groups.map((group) => {
    const mine = rows.filter((r) => r.group === group);
    const log = wantsLog(mine.map((r) => r.radius), 10);
    const x = {
      field: 'radius',
      type: 'quantitative' as const,
      title: `radius (${group === 'box' ? 'box' : `${group} ball`})`,
      scale: { ...(log ? { type: 'log' as const } : { zero: false }), nice: false, padding: 10 },
      axis: { values: unique(mine.map((r) => r.radius)).sort((a, b) => a - b), labelOverlap: 'greedy' as const, format: '~g' },
    };
    const y = { field: 'value', type: 'quantitative' as const, title: 'ε-sharpness (%)' };
    const errorBars = {
      transform: [{ filter: 'isValid(datum.lo)' }],
      mark: { type: 'rule' as const, strokeWidth: 1.25 },
      encoding: { x, y: { field: 'lo', type: 'quantitative' as const }, y2: { field: 'hi' }, color: solutionColour(palette) },
    };
    return {
      width: PANEL.width,
      height: PANEL.height,
      data: { values: mine },
      layer: [
        ...(mine.some((r) => r.lo !== undefined) ? [errorBars] : []),
        {
          mark: { type: 'line' as const, point: { filled: true, size: 30 } },
          encoding: {
            x,
            y,
            color: solutionColour(palette),
            detail: { field: 'case', type: 'nominal' as const },
            ...(cases.length > 1
              ? {
                  strokeDash: {
                    field: 'case',
                    type: 'nominal' as const,
                    scale: { domain: cases, range: cases.map((c) => (c === BallCase.worst ? [1, 0] : [5, 3])) },
                    legend: { title: null, symbolType: 'stroke' },
                  },
                }
              : {}),
          },
        },
      ],
    };
  });
  return { ...frame(options), hconcat: panels, resolve: { scale: { y: 'independent' } } };
}
