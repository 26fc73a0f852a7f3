/**
 * The paper theme: one Vega-Lite config for every figure, so fonts, sizes and colours
 * agree across figures and formats. Text is DejaVu Sans (shipped by the dejavu-fonts-ttf
 * package and embedded in PNGs and in the HTML report, so no system font is needed), in
 * one weight; colours are the Okabe-Ito palette, which stays distinct under the common
 * colour-vision deficiencies; sequential scales use viridis.
 */
import type { Config } from 'vega-lite';

/** The font family every text in a figure is drawn with. */
export const FONT_FAMILY = 'DejaVu Sans';
/** The CSS font list used in specs: DejaVu first; the rest only matter where it is missing. */
export const FONT = `${FONT_FAMILY}, Verdana, sans-serif`;

/**
 * Okabe & Ito (2008), ordered so the first colours are the most distinct on white;
 * yellow last (weak on white). Solutions take them in order.
 */
export const OKABE_ITO = [
  '#0072B2', // blue
  '#D55E00', // vermillion
  '#009E73', // bluish green
  '#E69F00', // orange
  '#CC79A7', // reddish purple
  '#56B4E9', // sky blue
  '#000000', // black
  '#F0E442', // yellow
] as const;

/** Dash patterns: train solid, test (evaluation data) dashed. */
export const DASH = { train: [1, 0], test: [5, 3] } as const;

/** Size of one panel (the plotting area, axes excluded), in CSS pixels. */
export const PANEL = { width: 260, height: 180 } as const;

/** Font sizes, in CSS pixels (a 2x PNG of a 260 px panel prints at about 7 cm). */
export const FONT_SIZE = { title: 13, subtitle: 11, axisTitle: 11, label: 10, mark: 10 } as const;

/** Sequential scheme of heatmaps (colour-blind safe, monotone in lightness). */
export const SEQUENTIAL_SCHEME = 'viridis';

export const GRID_COLOR = '#e6e6e6';
export const INK = '#222222';

export const paperConfig: Config = {
  font: FONT,
  background: 'white',
  padding: 6,
  view: { stroke: '#999999', strokeWidth: 0.5 },
  title: {
    fontSize: FONT_SIZE.title,
    fontWeight: 'normal',
    anchor: 'start',
    color: INK,
    subtitleFontSize: FONT_SIZE.subtitle,
    subtitleColor: '#555555',
    offset: 8,
  },
  axis: {
    labelFontSize: FONT_SIZE.label,
    titleFontSize: FONT_SIZE.axisTitle,
    titleFontWeight: 'normal',
    labelColor: INK,
    titleColor: INK,
    domainColor: '#555555',
    tickColor: '#555555',
    gridColor: GRID_COLOR,
    labelFlush: true,
    titlePadding: 6,
  },
  legend: {
    labelFontSize: FONT_SIZE.label,
    titleFontSize: FONT_SIZE.axisTitle,
    titleFontWeight: 'normal',
    labelColor: INK,
    titleColor: INK,
    symbolStrokeWidth: 2,
    symbolSize: 80,
    labelLimit: 200,
  },
  header: {
    labelFontSize: FONT_SIZE.axisTitle,
    titleFontSize: FONT_SIZE.axisTitle,
    titleFontWeight: 'normal',
    labelColor: INK,
    titleColor: INK,
  },
  text: { fontSize: FONT_SIZE.mark, color: INK },
  range: { category: [...OKABE_ITO], heatmap: { scheme: SEQUENTIAL_SCHEME }, ramp: { scheme: SEQUENTIAL_SCHEME } },
  line: { strokeWidth: 1.5 },
  point: { size: 36, filled: true },
  concat: { spacing: 28 },
  facet: { spacing: 14 },
};

/** The colour scale of solutions: the same label gets the same colour in every figure. */
export function solutionScale(solutions: readonly string[]): { domain: string[]; range: string[] } {
  return { domain: [...solutions], range: solutions.map((_, i) => OKABE_ITO[i % OKABE_ITO.length]!) };
}

/** The colour of the i-th solution. */
export function solutionColor(index: number): string {
  return OKABE_ITO[index % OKABE_ITO.length]!;
}
