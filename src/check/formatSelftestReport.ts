/** The table `sharpness selftest` prints: every measure of every known minimum, then a summary. */
import { formatSmall, formatTable, formatValue, rowCells } from './formatCheckReport.ts';
import type { SelftestReport } from './selftest.ts';

export const SELFTEST_HEADER = ['case', 'measure', 'golden', 'now', 'difference', 'allowed', 'verdict'] as const;

function caseName(minimum: string, golden: string): string {
  return `${minimum}/${golden.split('/').pop()!.replace(/\.json$/, '')}`;
}

/** One line: ok or FAILED, what was checked, on which backend, how long it took. */
export function selftestSummary(r: SelftestReport): string {
  const minima = new Set(r.cases.map((c) => c.minimum)).size;
  const what = `${r.cases.length} golden${r.cases.length === 1 ? '' : 's'} of ${minima} known minim${minima === 1 ? 'um' : 'a'} and ${r.relations.length} relation${r.relations.length === 1 ? '' : 's'}`;
  if (r.ok) return `selftest: ok: ${what} checked on ${r.backend} in ${r.seconds.toFixed(1)} s`;
  const bad = [
    ...r.cases.filter((c) => !c.ok).map((c) => `${caseName(c.minimum, c.golden)} (${[...c.report.drifted, ...c.report.missing].join(', ')})`),
    ...r.relations.filter((x) => !x.ok).map((x) => `${x.name} (${x.rows.filter((row) => row.verdict !== 'ok').map((row) => row.measure).join(', ')})`),
  ];
  return `selftest: FAILED on ${r.backend}: ${r.counts.failed} of ${r.counts.checks} checks: ${bad.join('; ')}`;
}

export function formatSelftestReport(r: SelftestReport): string {
  const rows: string[][] = [];
  for (const c of r.cases) {
    for (const row of c.report.rows) rows.push([caseName(c.minimum, c.golden), ...rowCells(row, c.tolerances.sigma)]);
  }
  for (const rel of r.relations) {
    for (const row of rel.rows) {
      rows.push([rel.name, row.measure, formatValue(row.baseline), formatValue(row.now), formatSmall(row.difference), row.allowed, row.verdict === 'ok' ? 'ok' : row.verdict.toUpperCase()]);
    }
  }
  // Notes explain a drift; on a passing case they are noise (the golden's unchecked extras).
  const notes = r.cases.filter((c) => !c.ok).flatMap((c) => c.report.notes.map((n) => `note: ${caseName(c.minimum, c.golden)}: ${n}`));
  return [formatTable(SELFTEST_HEADER, rows), ...notes, selftestSummary(r)].join('\n');
}
