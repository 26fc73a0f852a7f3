/** The text tables `check` and `selftest` print: one row per measure, then a summary line. */
import type { CheckReport, CheckRow } from './compareResults.ts';

/** A number in at most 6 significant digits; '-' for null. */
export function formatValue(x: number | null | undefined, digits = 6): string {
  if (x === null || x === undefined) return '-';
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e-3 && a < 1e6) return String(Number(x.toPrecision(digits)));
  return x.toExponential(Math.max(0, digits - 1)).replace(/\.?0+e/, 'e');
}

/** A difference or tolerance: 3 significant digits, signed. */
export function formatSmall(x: number | null | undefined): string {
  if (x === null || x === undefined) return '-';
  if (!Number.isFinite(x)) return String(x);
  return x === 0 ? '0' : x.toExponential(2);
}


/** Left-aligned columns separated by two spaces, with a header. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** The cells of one comparison row: measure, baseline, now, difference, allowed, verdict. */
export function rowCells(r: CheckRow, sigma: number): string[] {
  const withSe = (v: number | null, se: number | undefined) => (se !== undefined && se > 0 ? `${formatValue(v)} ± ${formatValue(se, 2)}` : formatValue(v));
  const stochastic = r.kind === 'stochastic';
  return [
    r.measure,
    stochastic ? withSe(r.baseline, r.baselineStderr) : formatValue(r.baseline),
    stochastic ? withSe(r.now, r.nowStderr) : formatValue(r.now),
    formatSmall(r.difference),
    `${formatSmall(r.allowed)}${r.bySigma ? ` (${sigma} se)` : ''}`,
    r.verdict === 'ok' ? 'ok' : r.verdict.toUpperCase(),
  ];
}

export const CHECK_HEADER = ['measure', 'baseline', 'now', 'difference', 'allowed', 'verdict'] as const;

/** One line: how many measures passed, drifted, are missing, under which tolerances. */
export function summaryLine(report: CheckReport): string {
  const t = report.tolerances;
  const c = report.counts;
  const head = report.ok ? 'check: ok' : 'check: FAILED';
  return `${head}: ${c.ok} ok, ${c.drift} drifted, ${c.missing} missing of ${report.rows.length} ${report.command} measures (rtol ${t.rtol}, atol ${t.atol}, sigma ${t.sigma})`;
}

/** The table `sharpness check` prints, its notes, and the summary line. */
export function formatCheckReport(report: CheckReport): string {
  const table = formatTable(CHECK_HEADER, report.rows.map((r) => rowCells(r, report.tolerances.sigma)));
  const notes = report.notes.map((n) => `note: ${n}`);
  return [table, ...notes, summaryLine(report)].join('\n');
}
