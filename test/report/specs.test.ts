/**
 * Every spec builder, on representative inputs: the spec validates against the Vega-Lite
 * JSON schema shipped with vega-lite, compiles, renders to an SVG with the expected marks,
 * and to a PNG whose text is really drawn (DejaVu from the npm package, no system fonts).
 */
import test from 'ava';
import { Resvg } from '@resvg/resvg-js';
import type { TopLevelSpec } from 'vega-lite';
import { compileSpec, renderSvg } from '../../src/report/renderSvg.ts';
import { rasterize, renderPng } from '../../src/report/renderPng.ts';
import { raysSpec } from '../../src/report/specs/raysSpec.ts';
import { lineSpec, interpolateAt } from '../../src/report/specs/lineSpec.ts';
import { planeSpec, cellEdges, defaultCellSize } from '../../src/report/specs/planeSpec.ts';
import { spectraSpec } from '../../src/report/specs/spectraSpec.ts';
import { ballSpec } from '../../src/report/specs/ballSpec.ts';
import { volumeSpec } from '../../src/report/specs/volumeSpec.ts';
import { trainingSpec } from '../../src/report/specs/trainingSpec.ts';
import { FONT_FAMILY, OKABE_ITO } from '../../src/report/theme.ts';
import { countMarks, schemaErrors, svgTexts } from './helpers.ts';
import * as S from './sampleInputs.ts';

const OPTS = { solutions: [...S.SOLUTIONS] };

interface Case {
  name: string;
  spec: () => TopLevelSpec;
  /** Marks the SVG must hold, by aria role description. */
  marks: Record<string, number>;
  /** Texts the SVG must show. */
  texts: string[];
}

const CASES: Case[] = [
  {
    name: 'rays',
    spec: () => raysSpec(S.sampleRays(4, 21), OPTS),
    // 3 solutions x 4 rays x (train, test) in each of the loss and error panels.
    marks: { 'line mark': 3 * 4 * 2 * 2 },
    texts: ['SGD', 'SAM', 'SWA', 'train', 'test', 'loss', 'error (%)'],
  },
  {
    name: 'line',
    spec: () => lineSpec(S.sampleLine(), OPTS),
    // (train, test) curves in 2 panels; a marker per checkpoint, split and panel; a rule per checkpoint and panel.
    marks: { 'line mark': 4, point: 2 * 2 * 2, 'rule mark': 4 },
    texts: ['SWA', 'SGD', 'α'],
  },
  {
    name: 'plane',
    spec: () => planeSpec(S.samplePlane(31), OPTS),
    // 31 x 31 cells in each of 2 heatmaps; 3 checkpoints marked (and labelled twice: halo + text) in each.
    marks: { 'rect mark': 31 * 31 * 2, point: 3 * 2, 'text mark': 3 * 2 * 2 },
    texts: ['SGD', 'SAM', 'SWA', 'train loss', 'test error (%)'],
  },
  {
    name: 'spectra',
    spec: () => spectraSpec(S.sampleSpectra(5), OPTS),
    marks: { bar: 3 * 5, 'line mark': 3, 'text mark': 3 },
    texts: ['SGD', 'SAM', 'SWA', 'spectral density', 'Hessian eigenvalue'],
  },
  {
    name: 'ball',
    spec: () => ballSpec(S.sampleBall(), OPTS),
    // l2 panel: worst case and average per solution; box panel: worst case only.
    marks: { 'line mark': 3 * 2 + 3, point: 3 * 4 * 2 + 3 * 2, 'rule mark': 3 * 4 },
    texts: ['SGD', 'worst case', 'average', 'radius (l2 ball)', 'radius (box)'],
  },
  {
    name: 'volume',
    spec: () => volumeSpec(S.sampleVolume(40), OPTS),
    // One tick per direction; a box per solution; the geometric means and the censored directions.
    marks: { tick: 3 * 40, box: 3 },
    texts: ['SGD', 'SAM', 'SWA'],
  },
  {
    name: 'training',
    spec: () => trainingSpec(S.sampleTraining(60, 10), OPTS),
    // Error panel: test, train per run, and SWA's average; LR panel: one per run. The SWA start rule in both panels.
    marks: { 'line mark': 3 * 2 + 1 + 3, 'rule mark': 2 },
    texts: ['SGD', 'SWA', 'SAM', 'learning rate', 'epoch'],
  },
];

/** Dark pixels in an RGBA buffer (text and lines; the background is white). */
function darkPixels(rgba: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < rgba.length; i += 4) if (rgba[i]! < 90 && rgba[i + 1]! < 90 && rgba[i + 2]! < 90) n++;
  return n;
}

for (const c of CASES) {
  test(`${c.name}: the spec validates against the Vega-Lite schema`, (t) => {
    const errors = schemaErrors(c.spec());
    t.deepEqual(errors, []);
  });

  test(`${c.name}: compiles without warnings, renders to SVG with the expected marks, in DejaVu Sans`, async (t) => {
    const spec = c.spec();
    t.notThrows(() => compileSpec(spec));
    const warnings: string[] = [];
    const svg = await renderSvg(spec, warnings);
    t.deepEqual(warnings, []);
    t.true(svg.startsWith('<svg'));
    const marks = countMarks(svg);
    for (const [mark, n] of Object.entries(c.marks)) t.is(marks[mark] ?? 0, n, `${mark}: ${JSON.stringify(marks)}`);
    const texts = svgTexts(svg);
    for (const s of c.texts) t.true(texts.includes(s), `no text '${s}' in ${JSON.stringify(texts.slice(0, 30))}`);
    const families = new Set([...svg.matchAll(/font-family="([^"]+)"/g)].map((m) => m[1]));
    t.true(families.size > 0);
    for (const f of families) t.true(f!.startsWith(FONT_FAMILY), f);
  });

  test(`${c.name}: renders to a 2x PNG with its text drawn`, async (t) => {
    const svg = await renderSvg(c.spec());
    const png = renderPng(svg);
    t.deepEqual([...png.png.slice(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const width = Number(/width="(\d+)"/.exec(svg)![1]);
    t.is(png.width, 2 * width);
    t.true(png.height > 100);
    // The same SVG without any font draws no text: the difference is the text.
    const withoutFonts = darkPixels(new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, font: { fontFiles: [], loadSystemFonts: false } }).render().pixels);
    const withFonts = renderPngPixels(svg);
    t.true(withFonts > withoutFonts + 500, `dark pixels with fonts ${withFonts}, without ${withoutFonts}`);
  });
}

function renderPngPixels(svg: string): number {
  return darkPixels(rasterize(svg).pixels);
}

test('solution colours are the Okabe-Ito palette in report order, the same in every figure', (t) => {
  const spec = raysSpec({ solutions: [{ label: 'SWA', rays: S.sampleRays(1, 3).solutions[2]!.rays }] }, OPTS) as {
    hconcat: { encoding: { color: { scale: { domain: string[]; range: string[] } } } }[];
  };
  const color = spec.hconcat[0]!.encoding.color.scale;
  t.deepEqual(color.domain, ['SWA']);
  t.deepEqual(color.range, [OKABE_ITO[2]]);
});

test('plane: every heatmap cell is a whole number of pixels (no seams)', async (t) => {
  for (const n of [7, 31, 51]) {
    const input = S.samplePlane(n);
    const svg = await renderSvg(planeSpec(input, OPTS));
    const cells = [...svg.matchAll(/aria-roledescription="rect mark" d="M([-\d.e]+),([-\d.e]+)h([-\d.e]+)v([-\d.e]+)/g)];
    t.is(cells.length, 2 * n * n);
    const size = defaultCellSize(n, n);
    for (const m of cells) {
      const [x, y, w, h] = m.slice(1, 5).map(Number) as [number, number, number, number];
      for (const v of [x, y, w, h]) t.true(Math.abs(v - Math.round(v)) < 1e-6, `cell edge ${v} is not a whole pixel`);
      t.is(Math.round(Math.abs(w)), size);
      t.is(Math.round(Math.abs(h)), size);
    }
  }
});

test('plane: cell edges half-way between grid points', (t) => {
  t.deepEqual(cellEdges([0, 1, 2]), [-0.5, 0.5, 1.5, 2.5]);
  t.deepEqual(cellEdges([3]), [2.5, 3.5]);
  t.is(defaultCellSize(51, 51), 6);
  t.is(defaultCellSize(3, 3), 100);
});

test('line: markers take the checkpoint values when given, else interpolate', (t) => {
  const points = [
    { alpha: 0, trainLoss: 1 },
    { alpha: 1, trainLoss: 3 },
  ];
  t.is(interpolateAt(points, 'trainLoss', 0.25), 1.5);
  t.is(interpolateAt(points, 'trainLoss', 1), 3);
  t.is(interpolateAt(points, 'trainLoss', 2), null);
  const spec = lineSpec({ points, checkpoints: [{ label: 'A', alpha: 0.5, values: { trainLoss: 7 } }] }) as {
    hconcat: { layer: { data: { values: { value?: number }[] } }[] }[];
  };
  t.deepEqual(spec.hconcat[0]!.layer[2]!.data.values.map((v) => v.value), [7]);
});

test('builders give valid specs for sparse inputs: one solution, no eval data, no density, no accuracy', async (t) => {
  const specs: TopLevelSpec[] = [
    raysSpec({ solutions: [{ label: 'only', rays: [{ index: 0, points: [{ distance: 0, trainLoss: 1 }, { distance: 1, trainLoss: 2 }] }] }] }),
    lineSpec({ points: [{ alpha: 0, trainLoss: 1 }, { alpha: 1, trainLoss: 2 }], checkpoints: [{ label: 'a', alpha: 0 }, { label: 'b', alpha: 1 }] }),
    planeSpec({ xs: [0, 1], ys: [0, 1, 2], metrics: [{ name: 'trainLoss', values: [[1, 2], [3, null], [5, 6]] }], checkpoints: [] }),
    spectraSpec({ solutions: [{ label: 'a', eigenvalues: [3, 2, 1] }] }),
    spectraSpec({ solutions: [{ label: 'a', eigenvalues: [], density: { grid: [0, 1, 2], values: [0.1, 1, 0] } }] }),
    ballSpec({ series: [{ label: 'a', norm: 'linf', adaptive: true, baseLoss: 0.1, points: [{ radius: 0.1, keskar: 3, maxLoss: 0.2, averageLoss: null, averageStderr: null }] }] }),
    volumeSpec({ series: [{ label: 'a', radii: [1, 2, 3], censored: [2], maxRadius: 3, delta: 0.05, norm: 'none', dimension: 10, geometricMeanRadius: 1.8 }] }),
    trainingSpec({ runs: [{ label: 'r', epochs: [1, 2, 3].map((epoch) => ({ epoch, trainLoss: 1 / epoch, trainAcc: null, evalLoss: null, evalAcc: null, lr: 0.1 })) }] }),
  ];
  for (const spec of specs) {
    t.deepEqual(schemaErrors(spec), []);
    const warnings: string[] = [];
    const svg = await renderSvg(spec, warnings);
    t.deepEqual(warnings, []);
    t.true(svg.length > 500);
  }
});
