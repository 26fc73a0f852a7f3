/**
 * Flat volume (Hochreiter & Schmidhuber 1997): the distribution, per solution, of the
 * radii r(u) at which the loss first rises by delta along random directions u: a box
 * (quartiles, whiskers to the extremes), one tick per direction, a diamond at the geometric
 * mean radius and a triangle for each direction censored at the largest radius searched.
 * A wider distribution further right is a flatter minimum. One panel per (delta, norm).
 */
import type { TopLevelSpec } from 'vega-lite';
import type { FigureOptions, VolumeFigureInput, VolumeSeries } from '../figureInputs.ts';
import { INK, PANEL } from '../theme.ts';
import { paletteFor, finite, frame, solutionColour, unique, wantsLog } from './common.ts';
import { formatNumber } from '../formatNumber.ts';

export function volumeGroup(s: Pick<VolumeSeries, 'delta' | 'norm'>): string {
  return `δ = ${formatNumber(s.delta)}, ${s.norm === 'none' ? 'random unit' : `${s.norm}-normalised`} directions`;
}

export function volumeSpec(input: VolumeFigureInput, options: FigureOptions = {}): TopLevelSpec {
  const palette = paletteFor(options, input.series.map((s) => s.label));
  const groups = unique(input.series.map(volumeGroup));
  const panels = groups.map((group) => {
    const series = input.series.filter((s) => volumeGroup(s) === group);
    const labels = unique(series.map((s) => s.label));
    const radii = series.flatMap((s) =>
      s.radii.flatMap((r, i) => (finite(r) ? [{ solution: s.label, radius: r, censored: s.censored.includes(i) }] : [])),
    );
    const means = series.filter((s) => finite(s.geometricMeanRadius)).map((s) => ({ solution: s.label, radius: s.geometricMeanRadius }));
    const log = wantsLog(radii.map((r) => r.radius), 3);
    const dims = unique(series.map((s) => s.dimension));
    const x = {
      field: 'radius',
      type: 'quantitative' as const,
      title: `radius where the loss rises by δ${dims.length === 1 ? ` (d = ${dims[0]!.toLocaleString('en-US')})` : ''}`,
      scale: log ? { type: 'log' as const } : { zero: false },
    };
    const y = { field: 'solution', type: 'nominal' as const, title: null, sort: palette.domain.filter((l) => labels.includes(l)) };
    return {
      title: { text: group, fontSize: 11, anchor: 'start' as const },
      width: PANEL.width + 60,
      height: { step: 34 },
      layer: [
        {
          data: { values: radii },
          mark: { type: 'boxplot' as const, extent: 'min-max' as const, size: 18, opacity: 0.35, median: { color: INK, strokeWidth: 1.5 }, ticks: false },
          encoding: { x, y, color: solutionColour(palette, false) },
        },
        {
          data: { values: radii },
          mark: { type: 'tick' as const, thickness: 1, size: 12, opacity: 0.8 },
          encoding: { x, y, color: solutionColour(palette, false) },
        },
        {
          data: { values: radii },
          transform: [{ filter: 'datum.censored' }],
          mark: { type: 'point' as const, shape: 'triangle-right', filled: true, size: 45, color: INK, yOffset: -11 },
          encoding: { x, y },
        },
        {
          data: { values: means },
          mark: { type: 'point' as const, shape: 'diamond', filled: true, size: 60, color: INK, stroke: 'white', strokeWidth: 0.75, opacity: 1 },
          encoding: { x, y },
        },
      ],
    };
  });
  return { ...frame(options), vconcat: panels };
}
