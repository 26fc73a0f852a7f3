/** Pieces shared by the spec builders: the top-level frame, solution colours, axis titles. */
import type { TopLevelSpec } from 'vega-lite';
import { DASH, paperConfig, solutionScale } from '../theme.ts';
import type { FigureOptions } from '../figureInputs.ts';

export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** The frame of every spec: schema, theme, title, white background. */
export function frame(options: FigureOptions, subtitle?: string): Pick<TopLevelSpec, '$schema' | 'config' | 'title'> {
  const out: Pick<TopLevelSpec, '$schema' | 'config' | 'title'> = { $schema: VEGA_LITE_SCHEMA, config: paperConfig };
  if (options.title !== undefined && options.title !== '') {
    out.title = subtitle ? { text: options.title, subtitle } : options.title;
  }
  return out;
}

/** The labels that fix solution colours: the report's list when given, else this figure's own. */
export function colourDomain(options: FigureOptions, labels: readonly string[]): string[] {
  const own = unique(labels);
  if (!options.solutions) return own;
  const all = [...options.solutions];
  for (const l of own) if (!all.includes(l)) all.push(l);
  return all;
}

/** The solutions drawn in one figure, in report order, and their colours in the report. */
export interface Palette {
  domain: string[];
  range: string[];
}

/** The palette of a figure showing `labels`: each label keeps the colour it has in the whole report. */
export function paletteFor(options: FigureOptions, labels: readonly string[]): Palette {
  const all = colourDomain(options, labels);
  const colours = solutionScale(all);
  const domain = all.filter((l) => labels.includes(l));
  return { domain, range: domain.map((l) => colours.range[all.indexOf(l)]!) };
}

/** The `color` encoding of a `solution` field. */
export function solutionColour(palette: Palette, legend = true) {
  return {
    field: 'solution',
    type: 'nominal' as const,
    scale: { domain: [...palette.domain], range: [...palette.range] },
    legend: legend ? { title: null } : null,
  };
}

export const SPLITS = ['train', 'test'] as const;
export type Split = (typeof SPLITS)[number];

/** The `strokeDash` encoding of a `split` field: train solid, test dashed. */
export function splitDash(splits: readonly Split[]) {
  return {
    field: 'split',
    type: 'nominal' as const,
    scale: { domain: [...splits], range: splits.map((s) => [...DASH[s]]) },
    legend: { title: null },
  };
}

/** Powers of ten from below `lo` to above `hi`, every other one when there are many: log-axis ticks. */
export function decades(lo: number, hi: number): number[] {
  const a = Math.floor(Math.log10(lo));
  const b = Math.ceil(Math.log10(hi));
  const step = b - a > 6 ? 2 : 1;
  const out: number[] = [];
  for (let e = b; e >= a; e -= step) out.unshift(10 ** e);
  return out;
}

/** Axis label expression for powers of ten: 0.01, 0.1, 1, 10, 100 written out, 1e-5 beyond. */
export const POWER_LABEL =
  "datum.value >= 0.001 && datum.value <= 1000 ? format(datum.value, '~g') : replace(format(datum.value, '.0e'), '+', '')";

export function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

/** Whether positive values span enough for a log scale to read better. */
export function wantsLog(values: readonly number[], ratio: number): boolean {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo > 0 && hi / lo >= ratio;
}

/** Errors are drawn in percent. */
export function percent(fraction: number): number {
  return 100 * fraction;
}

export function finite(x: number | null | undefined): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}
