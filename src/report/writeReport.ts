/**
 * Writes a report into a directory, each file atomically (a reader never sees half a file):
 *
 *   DIR/index.html               the self-contained HTML report
 *   DIR/figures/NAME.vl.json     each figure's Vega-Lite spec (data inline)
 *   DIR/figures/NAME.svg         rendered headlessly
 *   DIR/figures/NAME.png         2x, fonts embedded
 *   DIR/comparison.json, .txt    the comparison table as data and as text
 *   DIR/report.json              what the directory holds (schema sharpness/report@1)
 *
 * figures/ is replaced as a whole, report.json is written last. Other files in DIR are left
 * alone (`compare` keeps its results/ there); the report's names are overwritten only when
 * DIR holds a previous report (its report.json says so) or `overwrite` is set. With
 * readResults.ts and fonts.ts, the only files of report/ that touch the file system.
 */
import { readFileSync } from 'node:fs';
import { lstat, mkdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { InputError } from '../errors.ts';
import { writeDirAtomic, writeFileAtomic, type FileContents } from '../io/atomicWrite.ts';
import { VERSION } from '../version.ts';
import { comparisonTableText } from './comparisonTable.ts';
import { regularFontFile } from './fonts.ts';
import { htmlReport, type HtmlAssets } from './htmlReport.ts';
import { renderPng } from './renderPng.ts';
import { buildReportContent, type ReportContent } from './reportContent.ts';
import { assignLabels, buildReportInputs, labelsForCheckpoints, listSolutions } from './fromResults.ts';
import { readResultFiles, sidecarMethods } from './readResults.ts';
import { renderSvg } from './renderSvg.ts';

export const REPORT_SCHEMA = 'sharpness/report@1';
export const REPORT_MANIFEST = 'report.json';
export const REPORT_INDEX = 'index.html';
export const FIGURES = 'figures';
export const COMPARISON_JSON = 'comparison.json';
export const COMPARISON_TXT = 'comparison.txt';

export interface WriteReportOptions {
  /** Replace DIR even when it does not hold a previous report. Default false. */
  overwrite?: boolean;
  /** Embed DejaVu Sans in the HTML (about 1 MB). Default true. */
  embedFont?: boolean;
  /** Called after each figure is rendered. */
  onFigure?: (name: string, ms: { svg: number; png: number }) => void;
}

export interface WrittenReport {
  dir: string;
  index: string;
  /** Paths relative to dir. */
  files: string[];
  /** Milliseconds spent per figure rendering SVG and PNG. */
  timings: { name: string; svg: number; png: number }[];
}

const require = createRequire(import.meta.url);

/** The directory of an installed package (its exports may hide package.json: walk up from its entry). */
function packageDir(pkg: string): string {
  let dir = path.dirname(require.resolve(pkg));
  for (;;) {
    try {
      const json = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (json.name === pkg) return dir;
    } catch {
      // no package.json here: keep walking up
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`report: cannot find the ${pkg} package`);
    dir = up;
  }
}

async function readPackageFile(pkg: string, file: string): Promise<string> {
  return readFile(path.join(packageDir(pkg), file), 'utf8');
}

/** The library builds and the font the HTML report inlines, read from node_modules. */
export async function loadHtmlAssets(embedFont = true): Promise<HtmlAssets> {
  const [vega, vegaLite, vegaEmbed, font] = await Promise.all([
    readPackageFile('vega', 'build/vega.min.js'),
    readPackageFile('vega-lite', 'build/vega-lite.min.js'),
    readPackageFile('vega-embed', 'build/vega-embed.min.js'),
    embedFont ? readFile(regularFontFile()) : Promise.resolve(undefined),
  ]);
  return { vega, vegaLite, vegaEmbed, ...(font ? { font: new Uint8Array(font) } : {}), generator: `sharpness ${VERSION}` };
}

/** Every file of the report, rendered in memory. */
export async function renderReportFiles(
  content: ReportContent,
  assets: HtmlAssets,
  onFigure?: WriteReportOptions['onFigure'],
): Promise<{ files: Record<string, FileContents>; timings: WrittenReport['timings'] }> {
  const files: Record<string, FileContents> = {};
  const timings: WrittenReport['timings'] = [];
  for (const f of content.figures) {
    const t0 = performance.now();
    const svg = await renderSvg(f.spec);
    const t1 = performance.now();
    const png = renderPng(svg);
    const t2 = performance.now();
    files[`${FIGURES}/${f.name}.vl.json`] = `${JSON.stringify(f.spec, null, 2)}\n`;
    files[`${FIGURES}/${f.name}.svg`] = svg;
    files[`${FIGURES}/${f.name}.png`] = png.png;
    const ms = { svg: t1 - t0, png: t2 - t1 };
    timings.push({ name: f.name, ...ms });
    onFigure?.(f.name, ms);
  }
  if (content.table) {
    files[COMPARISON_JSON] = `${JSON.stringify(content.table, null, 2)}\n`;
    files[COMPARISON_TXT] = comparisonTableText(content.table);
  }
  files[REPORT_INDEX] = htmlReport(content, assets);
  const manifest = {
    schema: REPORT_SCHEMA,
    tool: { name: 'sharpness', version: VERSION },
    title: content.title,
    solutions: content.solutions,
    figures: content.figures.map((f) => ({ name: f.name, title: f.title })),
    table: content.table !== null,
    sources: content.sources,
  };
  files[REPORT_MANIFEST] = `${JSON.stringify(manifest, null, 2)}\n`;
  return { files, timings };
}

/** Whether `dir` holds a report written by this module (so its report files may be replaced). */
export async function holdsReport(dir: string): Promise<boolean> {
  try {
    const m = JSON.parse(await readFile(path.join(dir, REPORT_MANIFEST), 'utf8')) as { schema?: unknown };
    return m.schema === REPORT_SCHEMA;
  } catch {
    return false;
  }
}

/** The names a report writes in its directory; anything else there is left alone. */
export const REPORT_ENTRIES = [REPORT_INDEX, REPORT_MANIFEST, COMPARISON_JSON, COMPARISON_TXT, FIGURES] as const;

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Renders and writes the report into `dir` (created if needed). Files of a previous report
 * there are replaced (figures/ as a whole, so no stale figure stays); other files are left
 * alone; a directory whose report names are taken by something else is refused.
 */
export async function writeReport(dir: string, content: ReportContent, options: WriteReportOptions = {}): Promise<WrittenReport> {
  const ours = options.overwrite === true || (await holdsReport(dir));
  if (!ours) {
    for (const name of REPORT_ENTRIES) {
      if (await exists(path.join(dir, name))) {
        throw new InputError(`report: ${path.join(dir, name)} exists and is not part of a report; choose another --out`);
      }
    }
  }
  const assets = await loadHtmlAssets(options.embedFont ?? true);
  const { files, timings } = await renderReportFiles(content, assets, options.onFigure);
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw new InputError(`report: cannot create ${dir} (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { cause: e });
  }
  const figures: Record<string, FileContents> = {};
  for (const [name, data] of Object.entries(files)) {
    if (name.startsWith(`${FIGURES}/`)) figures[name.slice(FIGURES.length + 1)] = data;
  }
  // figures/ first (replaced as a whole), then the tables and the page, the manifest last.
  await writeDirAtomic(path.join(dir, FIGURES), figures, { overwrite: true });
  for (const name of [COMPARISON_JSON, COMPARISON_TXT]) {
    if (files[name] !== undefined) await writeFileAtomic(path.join(dir, name), files[name]!);
    else await rm(path.join(dir, name), { force: true });
  }
  await writeFileAtomic(path.join(dir, REPORT_INDEX), files[REPORT_INDEX]!);
  await writeFileAtomic(path.join(dir, REPORT_MANIFEST), files[REPORT_MANIFEST]!);
  return { dir, index: path.join(dir, REPORT_INDEX), files: Object.keys(files).sort(), timings };
}

export interface ReportFromFilesOptions extends WriteReportOptions {
  /** Labels of the checkpoints: in order of first appearance, or matched to `checkpoints` by path. */
  labels?: readonly string[];
  /** The checkpoint paths `labels` name, one label each (as `compare` knows them). */
  checkpoints?: readonly string[];
  title?: string;
}

/** Reads the result files and builds the report (nothing written). */
export async function buildReportFromFiles(files: readonly string[], options: ReportFromFilesOptions = {}): Promise<ReportContent> {
  const { docs, sources } = await readResultFiles(files);
  const solutions = listSolutions(docs);
  const given = options.checkpoints ? labelsForCheckpoints(solutions, options.checkpoints, options.labels ?? []) : (options.labels ?? []);
  const labels = assignLabels(solutions, given, await sidecarMethods(solutions));
  const content = buildReportContent(buildReportInputs(docs, labels), { ...(options.title !== undefined ? { title: options.title } : {}), sources });
  if (content.figures.length === 0 && content.table === null) {
    throw new InputError(`report: the results hold nothing to draw (${files.join(', ')})`);
  }
  return content;
}

/** Reads the result files, writes the report into `dir`, and returns the path of its index.html. */
export async function writeReportFromFiles(files: readonly string[], dir: string, options: ReportFromFilesOptions = {}): Promise<string> {
  const content = await buildReportFromFiles(files, options);
  return (await writeReport(dir, content, options)).index;
}
