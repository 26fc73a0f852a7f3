/**
 * What a report holds: its figures (name, heading, caption and Vega-Lite spec), the
 * comparison table and the list of sources. Pure: built from figure inputs only.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ReportInputs } from './fromResults.ts';
import { comparisonTable, type ComparisonTable } from './comparisonTable.ts';
import type { FigureOptions } from './figureInputs.ts';
import { ballSpec } from './specs/ballSpec.ts';
import { lineSpec } from './specs/lineSpec.ts';
import { planeSpec } from './specs/planeSpec.ts';
import { raysSpec } from './specs/raysSpec.ts';
import { spectraSpec } from './specs/spectraSpec.ts';
import { trainingSpec } from './specs/trainingSpec.ts';
import { volumeSpec } from './specs/volumeSpec.ts';
import { consistencySpec } from './specs/consistencySpec.ts';
import type { ConsistencyRow } from './widthConsistency.ts';
import { accuracyClaim, lineClaim, planeClaim, raysClaim, spectraClaim, trainingClaim, type PaperClaim } from './paperClaims.ts';

export interface ReportFigure {
  /** File name stem: figures/NAME.vl.json, .svg, .png. Lower-case letters, digits and '-'. */
  name: string;
  /** Heading in the HTML report. */
  title: string;
  /** What is drawn and how to read it. */
  caption: string;
  spec: TopLevelSpec;
  /** Which paper figure it reproduces and whether the result here agrees. */
  claim?: PaperClaim;
}

export interface ReportContent {
  title: string;
  /** Solution labels, in colour order. */
  solutions: string[];
  figures: ReportFigure[];
  table: ComparisonTable | null;
  /** Measured widths against their predictions from the Hessian. */
  consistency?: ConsistencyRow[];
  /** The papers' claim about the table's accuracies, and whether the table agrees. */
  tableClaim?: PaperClaim;
  /** The result files the report was made from. */
  sources: { file: string; schema: string }[];
}

export const DEFAULT_TITLE = 'Sharpness report';

/** A file-name-safe slug of a label. */
export function slug(s: string): string {
  const out = s
    .normalize('NFKD')
    .replace(/[^\x20-\x7e]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return out === '' ? 'x' : out.slice(0, 40);
}

export function buildReportContent(
  inputs: ReportInputs,
  options: { title?: string; sources?: { file: string; schema: string }[] } = {},
): ReportContent {
  const opts: FigureOptions = { solutions: inputs.solutions };
  const figures: ReportFigure[] = [];
  const names = new Set<string>();
  const add = (name: string, title: string, caption: string, spec: TopLevelSpec, claim?: PaperClaim | null) => {
    let unique = name;
    for (let n = 2; names.has(unique); n++) unique = `${name}-${n}`;
    names.add(unique);
    figures.push({ name: unique, title, caption, spec, ...(claim ? { claim } : {}) });
  };
  const l2Note = (l2: number | undefined) =>
    l2 !== undefined && l2 > 0 ? ` The train loss includes the L2 term λ‖w‖² with the training run's λ = ${l2} (the SWA paper plots this regularised loss).` : '';
  if (inputs.training) {
    add(
      'training',
      'Training curves',
      'Left: error on the evaluation data (solid) and on the training data (dashed) at the end of each epoch; for SWA, the running average evaluated each epoch (dotted). Right: the learning rate per iteration. A dotted vertical rule marks where weight averaging started.',
      trainingSpec(inputs.training, opts),
      trainingClaim(inputs.training),
    );
  }
  if (inputs.rays) {
    add(
      'rays',
      'Random rays from each solution',
      `Loss and error along random directions from each solution, one line per direction, train solid and test dashed. A flatter solution stays low further out.${l2Note(inputs.rays.l2)}${rayNormNote(inputs.rays.directionNorm)}`,
      raysSpec(inputs.rays, opts),
      raysClaim(inputs.rays),
    );
  }
  for (const line of inputs.lines) {
    const ends = line.checkpoints.map((c) => c.label);
    add(
      `line-${ends.map(slug).join('-')}`,
      `Line through ${ends.join(' and ')}`,
      `Loss and error on the line w(α) = w₀ + α (w₁ − w₀) through ${ends.join(' (α = 0) and ')} (α = 1), extended beyond both ends, train solid and test dashed; the markers are the solutions themselves.${l2Note(line.l2)}`,
      lineSpec(line, opts),
      lineClaim(line),
    );
  }
  inputs.planes.forEach((plane) => {
    const who = plane.checkpoints.map((c) => c.label);
    add(
      `plane-${who.map(slug).join('-')}`,
      who.length > 1 ? `Plane through ${who.join(', ')}` : `Random plane around ${who[0] ?? 'the solution'}`,
      (who.length > 1
        ? 'The loss landscape on the plane through the first three solutions (orthonormal axes in weight space, units of distance), one heatmap per measure; the solutions are marked.'
        : 'The loss landscape on the plane spanned by two random filter-normalised directions from the solution (marked), one heatmap per measure.') +
        plane.checkpoints
          .filter((c) => c.offPlane !== undefined)
          .map((c) => ` ${c.label} does not lie in the plane: the diamond is its orthogonal projection, ${c.offPlane!.toPrecision(3)} away from it (the SWA paper projects its SWA point the same way).`)
          .join('') +
        l2Note(plane.l2),
      planeSpec(plane, opts),
      planeClaim(plane),
    );
  });
  if (inputs.spectra) {
    add(
      'hessian-spectra',
      'Hessian spectra',
      'Top: the largest Hessian eigenvalues of each solution. Bottom: the spectral density from stochastic Lanczos quadrature (log scale), with λ_max and the trace ± its standard error.',
      spectraSpec(inputs.spectra, opts),
      spectraClaim(inputs.spectra),
    );
  }
  if (inputs.ball) {
    add(
      'eps-sharpness',
      'ε-sharpness against the radius',
      "Keskar et al.'s sharpness 100 (L_max − L) / (1 + L) for each radius of the set: the worst case found by gradient ascent (solid, a lower bound of the true maximum) and the average over random points of the set (dashed, with 95% intervals). One panel per norm.",
      ballSpec(inputs.ball, opts),
    );
  }
  if (inputs.volume) {
    add(
      'volume-radii',
      'Flat volume: radii of the flat region',
      'For each solution, the radii r(u) along random directions at which the loss first rises by δ: one tick per direction, the box spans the quartiles and the whiskers the extremes, the diamond is the geometric mean and a triangle marks a direction censored at the largest radius searched. Further right is flatter.',
      volumeSpec(inputs.volume, opts),
    );
  }
  if ((inputs.consistency ?? []).length > 0) {
    add(
      'width-consistency',
      'Measures that check each other',
      'Near a minimum the loss is close to L + e′He/2, which predicts every width from the Hessian: the worst-case increase over the l2 ball of radius r is r²λ_max/2, the average over uniform points of that ball r² tr(H)/(2(d+2)), and the radius where the loss rises by δ along a unit direction √(2δ/u′Hu): at least √(2δ/λ_max), typically √(2δ d/tr(H)). Each point is measured / predicted: 1 on a quadratic (at least 1 for the two radii); far from 1, the loss is not quadratic at that scale (or the point is not a minimum). The table below lists the values.',
      consistencySpec(inputs.consistency!, opts),
    );
  }
  const table = inputs.measures.length > 0 ? comparisonTable(inputs.measures) : null;
  return {
    title: options.title ?? DEFAULT_TITLE,
    solutions: inputs.solutions,
    figures,
    table: table && table.columns.length > 0 ? table : null,
    ...(table && table.columns.length > 0 ? { tableClaim: accuracyClaim(inputs.measures) } : {}),
    sources: options.sources ?? [],
    ...((inputs.consistency ?? []).length > 0 ? { consistency: inputs.consistency } : {}),
  };
}

/** Says how the rays' directions were drawn, since the SWA paper's are not filter-normalised. */
function rayNormNote(norm: string | undefined): string {
  if (norm === undefined) return '';
  if (norm === 'none') return ' The directions are uniform on the unit sphere, as in the SWA paper, so the distance is Euclidean.';
  return ` The directions are ${norm}-normalised (Li et al. 2018), not uniform on the unit sphere as in the SWA paper (landscape --norm none draws those); the distance is the Euclidean length of the step.`;
}
