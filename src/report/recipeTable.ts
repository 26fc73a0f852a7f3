/**
 * A recipe's results laid out like the paper's table (recipe `table`, training/recipe.ts):
 * one row of ours (the recipe's model and data) with one column per (run, solution), each
 * cell the metric's mean ± sample standard deviation over the seeds, in percent; the
 * paper's own rows below it, quoted as text and labelled as the paper's; then each claim
 * ("SAM better than SGD") checked on our row. Pure: computed from the per-seed summary.
 */

export const TABLE_METRICS = ['testError', 'testAccuracy'] as const;
export type TableMetric = (typeof TABLE_METRICS)[number];

export interface RecipeTableColumn {
  label: string;
  run: string;
  /** The run's solution: final, swa, sgdLast or ensemble. */
  solution: string;
}

export interface RecipeTableLayout {
  title?: string;
  metric: TableMetric;
  /** Our row's label (model and data). */
  row: string;
  columns: RecipeTableColumn[];
  /** Column labels: `better` should beat `than` (lower error, higher accuracy). */
  claims?: { better: string; than: string }[];
  /** The paper's numbers as quoted (one cell per column, '' where not quoted) and where from. */
  reference?: { source: string; rows: { label: string; cells: string[] }[] };
}

/** One metric of one (run, solution) over the seeds (runRecipe's summary rows). */
export interface SeedSummary {
  run: string;
  solution: string;
  metric: string;
  n: number;
  mean: number;
  /** Sample standard deviation (n - 1); null for one seed. */
  std: number | null;
  values: number[];
}

export interface TableCell {
  label: string;
  /** Mean over seeds, in percent; null when the run measured nothing for it. */
  mean: number | null;
  /** Sample standard deviation over seeds, in percent; null for one seed. */
  std: number | null;
  n: number;
}

export interface ClaimCheck {
  better: string;
  than: string;
  verdict: 'agrees' | 'disagrees' | 'n/a';
  /** better's mean minus than's, in percentage points (negative favours `better` for an error). */
  difference: number | null;
  /** The standard error of that difference, sqrt(s1^2 / n1 + s2^2 / n2), in points; null with one seed. */
  standardError: number | null;
}

export interface RecipeTable {
  layout: RecipeTableLayout;
  cells: TableCell[];
  claims: ClaimCheck[];
}

/** The table's cells and claim checks from the per-seed summary. */
export function recipeTable(layout: RecipeTableLayout, summary: readonly SeedSummary[]): RecipeTable {
  const cells = layout.columns.map((c): TableCell => {
    const row = summary.find((s) => s.run === c.run && s.solution === c.solution && s.metric === layout.metric);
    if (!row || row.n === 0) return { label: c.label, mean: null, std: null, n: 0 };
    return { label: c.label, mean: 100 * row.mean, std: row.std === null ? null : 100 * row.std, n: row.n };
  });
  const byLabel = new Map(cells.map((c) => [c.label, c]));
  const claims = (layout.claims ?? []).map((c): ClaimCheck => {
    const a = byLabel.get(c.better)!;
    const b = byLabel.get(c.than)!;
    if (a.mean === null || b.mean === null) return { ...c, verdict: 'n/a', difference: null, standardError: null };
    const difference = a.mean - b.mean;
    const wins = layout.metric === 'testError' ? difference < 0 : difference > 0;
    const standardError = a.std !== null && b.std !== null ? Math.sqrt(a.std ** 2 / a.n + b.std ** 2 / b.n) : null;
    return { ...c, verdict: wins ? 'agrees' : 'disagrees', difference, standardError };
  });
  return { layout, cells, claims };
}

const METRIC_LABEL: Record<TableMetric, string> = { testError: 'test error (%)', testAccuracy: 'test accuracy (%)' };

/** "mean ± std" with two decimals (percent); the mean alone for one seed; '—' for nothing. */
export function formatCell(c: TableCell): string {
  if (c.mean === null) return '—';
  return c.std === null ? c.mean.toFixed(2) : `${c.mean.toFixed(2)} ± ${c.std.toFixed(2)}`;
}

/** The table as Markdown: header, our row, the paper's rows, the source, and the claims. */
export function formatRecipeTableMarkdown(t: RecipeTable, scale: string): string {
  const { layout } = t;
  const lines: string[] = [];
  lines.push(`## ${layout.title ?? 'Table'}`, '');
  lines.push(`${METRIC_LABEL[layout.metric]}, mean ± sample std over seeds (n = ${Math.max(0, ...t.cells.map((c) => c.n))}). ${scale}`, '');
  lines.push(`| model | ${layout.columns.map((c) => c.label).join(' | ')} |`);
  lines.push(`|---|${layout.columns.map(() => '---').join('|')}|`);
  lines.push(`| ${layout.row} | ${t.cells.map(formatCell).join(' | ')} |`);
  for (const r of layout.reference?.rows ?? []) lines.push(`| ${r.label} (paper) | ${r.cells.map((c) => (c === '' ? '—' : c)).join(' | ')} |`);
  lines.push('');
  if (layout.reference) lines.push(`Rows marked (paper) are the paper's numbers, not ours: ${layout.reference.source}`, '');
  for (const c of t.claims) {
    const op = layout.metric === 'testError' ? '<' : '>';
    const head = `- The paper's claim ${c.better} ${op} ${c.than} (${METRIC_LABEL[layout.metric]})`;
    if (c.verdict === 'n/a') {
      lines.push(`${head}: n/a (not measured).`);
      continue;
    }
    const d = c.difference!;
    const se = c.standardError;
    const noise = se === null ? '' : se > 0 && Math.abs(d) <= 2 * se ? `; within 2 standard errors (${se.toFixed(2)}), so not resolved at this scale` : `; ${se > 0 ? (Math.abs(d) / se).toFixed(1) : '∞'} standard errors`;
    lines.push(`${head}: ${c.verdict} at this scale (difference ${d >= 0 ? '+' : ''}${d.toFixed(2)} points${noise}).`);
  }
  if (t.claims.length > 0) lines.push('');
  return lines.join('\n');
}
