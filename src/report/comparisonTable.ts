/**
 * The comparison table: one row per solution, one column per measure, each value with its
 * uncertainty. Built as data (written as JSON), then drawn as an HTML table and as a
 * plain-text table.
 */
import { formatInterval, formatNumber, formatWithUncertainty } from './formatNumber.ts';

/** How sure a value is. */
export type Uncertainty =
  /** Plus or minus one standard error. */
  | { kind: 'stderr'; value: number }
  /** A confidence interval at `level` (e.g. 0.95). */
  | { kind: 'interval'; lo: number; hi: number; level: number }
  /** Plus or minus a residual that bounds the error (an eigenvalue's ||Hv - lambda v||). */
  | { kind: 'residual'; value: number };

export interface TableCell {
  value: number;
  uncertainty: Uncertainty | null;
  /** The value is only a lower bound (shown with '≥'). */
  lowerBound?: boolean;
}

export interface TableColumn {
  key: string;
  title: string;
  /** What the column holds and how its uncertainty is obtained; a footnote of the table. */
  description: string;
}

export interface TableRow {
  solution: string;
  cells: Record<string, TableCell>;
}

export interface ComparisonTable {
  columns: TableColumn[];
  rows: TableRow[];
}

/** Every measure of one solution the table can show. All optional: a row shows what was measured. */
export interface SolutionMeasures {
  label: string;
  /** Accuracy in [0, 1] on `samples` evaluation samples; its standard error is binomial. */
  accuracy?: { value: number; samples: number; data?: string };
  lambdaMax?: { value: number; residual: number | null };
  trace?: { estimate: number; stderr: number | null };
  sharpness?: { norm: string; adaptive: boolean; radius: number; keskar: number }[];
  logVolume?: { value: number; ci: [number, number]; level: number; lowerBound: boolean; delta: number; norm: string }[];
}

function sharpnessKey(s: { norm: string; adaptive: boolean; radius: number }): string {
  return `sharpness:${s.adaptive ? 'adaptive-' : ''}${s.norm}:${s.radius}`;
}

function volumeKey(v: { delta: number; norm: string }): string {
  return `logVolume:${v.norm}:${v.delta}`;
}

/** Builds the table; columns appear only when some solution has a value for them. */
export function comparisonTable(solutions: readonly SolutionMeasures[]): ComparisonTable {
  const columns = new Map<string, TableColumn>();
  const order: string[] = [];
  const add = (c: TableColumn) => {
    if (!columns.has(c.key)) {
      columns.set(c.key, c);
      order.push(c.key);
    }
  };
  const rows: TableRow[] = solutions.map((s) => ({ solution: s.label, cells: {} }));
  // Fixed column order: accuracy, lambda_max, trace, sharpness (by norm, then radius), log-volume.
  solutions.forEach((s, i) => {
    const cells = rows[i]!.cells;
    if (s.accuracy) {
      const { value: p, samples: n } = s.accuracy;
      cells.accuracy = { value: 100 * p, uncertainty: n > 0 ? { kind: 'stderr', value: 100 * Math.sqrt((p * (1 - p)) / n) } : null };
    }
    if (s.lambdaMax) {
      cells.lambdaMax = {
        value: s.lambdaMax.value,
        uncertainty: s.lambdaMax.residual === null ? null : { kind: 'residual', value: s.lambdaMax.residual },
      };
    }
    if (s.trace) {
      cells.trace = { value: s.trace.estimate, uncertainty: s.trace.stderr === null ? null : { kind: 'stderr', value: s.trace.stderr } };
    }
    for (const b of s.sharpness ?? []) cells[sharpnessKey(b)] = { value: b.keskar, uncertainty: null };
    for (const v of s.logVolume ?? []) {
      cells[volumeKey(v)] = { value: v.value, uncertainty: { kind: 'interval', lo: v.ci[0], hi: v.ci[1], level: v.level }, lowerBound: v.lowerBound };
    }
  });
  const has = (key: string) => rows.some((r) => r.cells[key] !== undefined);
  if (has('accuracy')) {
    const n = [...new Set(solutions.flatMap((s) => (s.accuracy ? [s.accuracy.samples] : [])))];
    add({
      key: 'accuracy',
      title: 'accuracy (%)',
      description: `Accuracy on the evaluation data ± its binomial standard error, 100 sqrt(p (1 - p) / n)${n.length === 1 ? ` with n = ${n[0]}` : ''}.`,
    });
  }
  if (has('lambdaMax')) {
    add({
      key: 'lambdaMax',
      title: 'λ_max',
      description: 'Largest Hessian eigenvalue ± the residual ||Hv - λv|| of its eigenvector, which bounds the distance to a true eigenvalue.',
    });
  }
  if (has('trace')) add({ key: 'trace', title: 'trace', description: 'Hessian trace (Hutchinson) ± its standard error.' });
  const sharp = solutions.flatMap((s) => s.sharpness ?? []);
  const norms = [...new Set(sharp.map((b) => `${b.adaptive ? 'adaptive ' : ''}${b.norm}`))];
  for (const norm of norms) {
    const radii = [...new Set(sharp.filter((b) => `${b.adaptive ? 'adaptive ' : ''}${b.norm}` === norm).map((b) => b.radius))].sort((a, b) => a - b);
    const first = order.length + 1; // the footnote number of this norm's first column
    radii.forEach((radius, i) => {
      const b = sharp.find((x) => `${x.adaptive ? 'adaptive ' : ''}${x.norm}` === norm && x.radius === radius)!;
      const set = `the ${norm === 'box' ? 'box' : `${norm} ball`} of radius ${formatNumber(radius)}`;
      add({
        key: sharpnessKey(b),
        title: `ε-sharpness ${norm} r=${formatNumber(radius)}`,
        description:
          i === 0
            ? `Keskar et al.'s 100 (L_max - L) / (1 + L) over ${set}: L_max is the largest loss found by projected gradient ascent, so the value is a lower bound of the true sharpness; no uncertainty is estimated.`
            : `As ${first}, over ${set}.`,
      });
    });
  }
  const vols = solutions.flatMap((s) => s.logVolume ?? []);
  for (const v of vols) {
    if (columns.has(volumeKey(v))) continue;
    add({
      key: volumeKey(v),
      title: `log-volume δ=${formatNumber(v.delta)}${v.norm === 'none' ? '' : ` (${v.norm})`}`,
      description: `Natural log of the flat volume where the loss stays within δ = ${formatNumber(v.delta)} of L, with its ${Math.round(100 * v.level)}% bootstrap interval over directions; ≥ when some radius was censored. In high dimension it is a lower bound in expectation: compare solutions at the same δ and dimension.`,
    });
  }
  return { columns: order.map((k) => columns.get(k)!), rows };
}

/** A cell as text: "97.83 ± 0.15", "≥ 12.3", "-1.2e5 [-1.3e5, -1.1e5]"; '—' when missing. */
export function formatCell(cell: TableCell | undefined): string {
  if (!cell) return '—';
  const prefix = cell.lowerBound ? '≥ ' : '';
  const u = cell.uncertainty;
  if (u === null) return `${prefix}${formatNumber(cell.value)}`;
  if (u.kind === 'interval') return `${prefix}${formatNumber(cell.value)} ${formatInterval(u.lo, u.hi)}`;
  return `${prefix}${formatWithUncertainty(cell.value, u.value)}`;
}

/** The table as aligned plain text, footnotes below. */
export function comparisonTableText(table: ComparisonTable): string {
  const header = ['solution', ...table.columns.map((c) => c.title)];
  const body = table.rows.map((r) => [r.solution, ...table.columns.map((c) => formatCell(r.cells[c.key]))]);
  const widths = header.map((h, j) => Math.max(h.length, ...body.map((row) => row[j]!.length)));
  const line = (cells: string[]) => cells.map((c, j) => (j === 0 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const notes = table.columns.map((c, i) => `${i + 1}. ${c.title}: ${c.description}`);
  return [line(header), rule, ...body.map(line), '', ...notes].join('\n') + '\n';
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** The table as an HTML <table>, each column's description as its footnote. */
export function comparisonTableHtml(table: ComparisonTable): string {
  const th = table.columns
    .map((c, i) => `<th scope="col" title="${escapeHtml(c.description)}">${escapeHtml(c.title)}<sup>${i + 1}</sup></th>`)
    .join('');
  const rows = table.rows
    .map(
      (r) =>
        `<tr><th scope="row">${escapeHtml(r.solution)}</th>${table.columns
          .map((c) => `<td>${escapeHtml(formatCell(r.cells[c.key]))}</td>`)
          .join('')}</tr>`,
    )
    .join('\n');
  const notes = table.columns.map((c, i) => `<li value="${i + 1}">${escapeHtml(c.description)}</li>`).join('\n');
  return `<table class="comparison">\n<thead><tr><th scope="col">solution</th>${th}</tr></thead>\n<tbody>\n${rows}\n</tbody>\n</table>\n<ol class="notes">\n${notes}\n</ol>`;
}
