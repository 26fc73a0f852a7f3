/**
 * `sharpness report RESULT.json... --out DIR [--labels A,B,C] [--title T]`: the figures
 * (Vega-Lite, SVG, PNG), the comparison table and one offline HTML report, drawn from saved
 * result files only (nothing is recomputed, no engine starts), so a figure can be restyled
 * and redrawn at will.
 */
import type { Argv } from 'yargs';
import type { CommandArgs } from '../command.ts';
import type { GlobalOptions } from '../globalOptions.ts';
import { applyOptions, type ArgsOf } from '../options/OptionTable.ts';
import { REPORT_OPTIONS } from '../options/reportOptions.ts';
import { note, printResult } from '../output.ts';
import { UsageError } from '../../errors.ts';
import { guardOutput } from '../../io/inputPaths.ts';

export const command = 'report <results..>';
export const describe = 'figures (Vega-Lite, SVG, PNG), a comparison table and an offline HTML report in --out DIR, from saved result files';

type ReportCliOptions = ArgsOf<typeof REPORT_OPTIONS>;

export function builder(y: Argv<GlobalOptions>): Argv<GlobalOptions & ReportCliOptions> {
  return applyOptions(y, REPORT_OPTIONS)
    .example('$0 report results/*.json --out reports/mnist', 'every figure and index.html in reports/mnist')
    .example('$0 report sgd-ball.json swa-ball.json --labels SGD,SWA --out fig', 'name the solutions');
}

/** Parses --labels: comma-separated, none empty. */
export function parseLabels(value: string | undefined): string[] {
  if (value === undefined) return [];
  const labels = value.split(',').map((s) => s.trim());
  if (labels.some((l) => l === '')) throw new UsageError(`report: --labels must be comma-separated non-empty names, got '${value}'`);
  return labels;
}

/** Refuses an --out where the report would overwrite one of its inputs. */
export const REPORT_ENTRIES = ['index.html', 'report.json', 'comparison.json', 'comparison.txt', 'figures'] as const;

/** Refuses an --out where the report would overwrite one of its inputs (real paths, see io/inputPaths.ts). */
export function checkOutDir(out: string, inputs: readonly string[], command = 'report'): void {
  guardOutput(command, { kind: 'dir', path: out, creates: REPORT_ENTRIES }, { files: inputs });
}

export async function handler(argv: CommandArgs<ReportCliOptions>): Promise<void> {
  const files = argv.results ?? [];
  if (files.length === 0) throw new UsageError('report: give the result files to draw');
  if (argv.out === undefined) throw new UsageError('report: --out DIR is required (the directory the report is written to)');
  const labels = parseLabels(argv.labels);
  checkOutDir(argv.out, files);
  // One report per --out: a second one says the output is in use (io/outputLock.ts).
  (await import('../../io/outputLock.ts')).lockOutput('report', argv.out);
  const { buildReportFromFiles, writeReport } = await import('../../report/writeReport.ts');
  const content = await buildReportFromFiles(files, { labels, ...(argv.title !== undefined ? { title: argv.title } : {}) });
  checkOutDir(argv.out, content.sources.map((s) => s.file));
  const written = await writeReport(argv.out, content, {
    onFigure: (name, ms) => note(argv, `report: ${name} (SVG ${ms.svg.toFixed(0)} ms, PNG ${ms.png.toFixed(0)} ms)`),
  });
  const summary = {
    schema: 'sharpness/report-summary@1',
    index: written.index,
    dir: written.dir,
    solutions: content.solutions,
    figures: content.figures.map((f) => f.name),
    table: content.table !== null,
    files: written.files,
  };
  printResult(argv, summary, written.index);
}
