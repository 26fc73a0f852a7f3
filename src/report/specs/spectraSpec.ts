/**
 * Hessian spectra side by side (Yao et al. 2018; Ghorbani et al. 2019): the top-k
 * eigenvalues of every solution as grouped bars, and below them each solution's spectral
 * density from stochastic Lanczos quadrature (log scale, as PyHessian draws it), in
 * panels with shared axes, annotated with lambda_max and the trace.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { FigureOptions, SpectraFigureInput } from '../figureInputs.ts';
import { INK, PANEL } from '../theme.ts';
import { decades, POWER_LABEL, finite, frame, paletteFor, solutionColour } from './common.ts';
import { formatNumber, formatWithUncertainty } from '../formatNumber.ts';

/** Densities below this fraction of the largest are drawn at it (a log axis cannot show 0). */
export const DENSITY_FLOOR = 1e-5;

export function spectraSpec(input: SpectraFigureInput, options: FigureOptions = {}): TopLevelSpec {
  const labels = input.solutions.map((s) => s.label);
  const palette = paletteFor(options, labels);
  const bars = input.solutions.flatMap((s) =>
    s.eigenvalues.flatMap((v, i) => (finite(v) ? [{ solution: s.label, k: i + 1, eigenvalue: v }] : [])),
  );
  const withDensity = input.solutions.filter((s) => s.density && s.density.grid.length > 0);
  let max = 0;
  for (const s of withDensity) for (const v of s.density!.values) if (finite(v) && v > max) max = v;
  const floor = max > 0 ? max * DENSITY_FLOOR : DENSITY_FLOOR;
  const curves = withDensity.flatMap((s) =>
    s.density!.grid.flatMap((g, i) => {
      const v = s.density!.values[i];
      return finite(g) && finite(v) ? [{ solution: s.label, eigenvalue: g, density: Math.max(v, floor) }] : [];
    }),
  );
  const notes = withDensity.map((s) => {
    const lines: string[] = [];
    if (s.eigenvalues.length > 0 && finite(s.eigenvalues[0])) lines.push(`λmax ${formatNumber(s.eigenvalues[0])}`);
    if (s.trace && finite(s.trace.estimate)) lines.push(`trace ${formatWithUncertainty(s.trace.estimate, s.trace.stderr)}`);
    return { solution: s.label, note: lines.join('\n') };
  });

  const facetWidth = withDensity.length > 2 ? 190 : PANEL.width;
  const totalWidth = Math.max(PANEL.width, withDensity.length * facetWidth + (withDensity.length - 1) * 14);
  const k = Math.max(1, ...bars.map((b) => b.k));
  const barPanel = {
    data: { values: bars },
    width: withDensity.length > 0 ? totalWidth : Math.max(PANEL.width, k * labels.length * 14),
    height: 150,
    mark: { type: 'bar' as const },
    encoding: {
      x: { field: 'k', type: 'ordinal' as const, title: 'eigenvalue rank (1 = largest)', axis: { labelAngle: 0 } },
      xOffset: { field: 'solution', type: 'nominal' as const, scale: { domain: palette.domain } },
      y: { field: 'eigenvalue', type: 'quantitative' as const, title: 'Hessian eigenvalue' },
      color: solutionColour(palette),
    },
  };
  const densityPanel = {
    data: { values: [...curves, ...notes] },
    facet: {
      column: {
        field: 'solution',
        type: 'nominal' as const,
        sort: palette.domain,
        title: null,
        header: { labelFontSize: 11, labelPadding: 4 },
      },
    },
    spec: {
      width: facetWidth,
      height: 150,
      layer: [
        {
          transform: [{ filter: 'isValid(datum.density)' }],
          mark: { type: 'line' as const, strokeWidth: 1.25, clip: true },
          encoding: {
            x: { field: 'eigenvalue', type: 'quantitative' as const, title: 'eigenvalue', scale: { nice: false, zero: false } },
            y: {
                field: 'density',
                type: 'quantitative' as const,
                title: 'spectral density',
                scale: { type: 'log' as const },
                axis: { values: decades(floor, max), labelExpr: POWER_LABEL },
              },
            color: solutionColour(palette),
          },
        },
        {
          transform: [{ filter: 'isValid(datum.note)' }],
          mark: { type: 'text' as const, align: 'right' as const, baseline: 'top' as const, lineBreak: '\n', fill: INK, fontSize: 10 },
          encoding: { x: { value: facetWidth - 4 }, y: { value: 4 }, text: { field: 'note', type: 'nominal' as const } },
        },
      ],
    },
  };
  return {
    ...frame(options),
    vconcat: [...(bars.length > 0 ? [barPanel] : []), ...(curves.length > 0 ? [densityPanel] : [])],
  };
}
