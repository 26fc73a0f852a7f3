/**
 * Measured widths against their quadratic predictions from the Hessian (see
 * widthConsistency.ts): measured / predicted per solution, one panel per measure, a rule at
 * 1 (on a quadratic the ratio is 1, or at least 1 for the radius bounds). Log scale.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { FigureOptions } from '../figureInputs.ts';
import type { ConsistencyRow } from '../widthConsistency.ts';
import { INK, PANEL } from '../theme.ts';
import { frame, paletteFor, solutionColour, unique } from './common.ts';

export function consistencySpec(rows: readonly ConsistencyRow[], options: FigureOptions = {}): TopLevelSpec {
  const palette = paletteFor(options, unique(rows.map((r) => r.label)));
  const measures = unique(rows.map((r) => r.measure));
  const values = rows.map((r) => ({ solution: r.label, measure: r.measure, at: r.at, ratio: r.ratio, measured: r.measured, predicted: r.predicted, formula: r.formula }));
  const ratios = rows.map((r) => r.ratio).filter((r) => r > 0);
  const lo = Math.min(0.5, ...ratios) / 1.3;
  const hi = Math.max(2, ...ratios) * 1.3;
  return {
    ...frame(options),
    hconcat: measures.map((m) => ({
      title: { text: `${m} (${rows.find((r) => r.measure === m)!.formula})`, fontSize: 11, anchor: 'start' as const },
      width: PANEL.width - 40,
      height: { step: 26 },
      layer: [
        { data: { values: [{ one: 1 }] }, mark: { type: 'rule' as const, color: INK, strokeDash: [4, 3] }, encoding: { x: { field: 'one', type: 'quantitative' as const } } },
        {
          data: { values: values.filter((v) => v.measure === m) },
          mark: { type: 'point' as const, filled: true, size: 60 },
          encoding: {
            x: { field: 'ratio', type: 'quantitative' as const, title: 'measured / predicted', scale: { type: 'log' as const, domain: [lo, hi] } },
            y: { field: 'at', type: 'nominal' as const, title: null },
            color: solutionColour(palette),
            tooltip: [{ field: 'solution' }, { field: 'at' }, { field: 'measured', format: '.3g' }, { field: 'predicted', format: '.3g' }, { field: 'ratio', format: '.3g' }],
          },
        },
      ],
    })),
  } as TopLevelSpec;
}
