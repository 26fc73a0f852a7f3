/**
 * The HTML report: self-contained (no network), scripts escaped, and in headless Chromium
 * every chart renders as a non-empty SVG with no console errors.
 */
import { spawn } from 'node:child_process';
import { readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { escapeScript, htmlReport, scriptJson } from '../../src/report/htmlReport.ts';
import { buildReportContent, type ReportContent } from '../../src/report/reportContent.ts';
import { holdsReport, loadHtmlAssets, writeReport, writeReportFromFiles } from '../../src/report/writeReport.ts';
import { allDocuments, CHECKPOINTS } from './sampleDocuments.ts';
import { InputError } from '../../src/errors.ts';
import type { ReportInputs } from '../../src/report/fromResults.ts';
import { chromiumPath, tempDir } from './helpers.ts';
import * as S from './sampleInputs.ts';

/** A label that would break out of a <script> or an HTML attribute if anything were not escaped. */
const NASTY = 'SAM </script><!--"\'&';

function sampleContent(): ReportContent {
  const rename = <T extends { label: string }>(x: T): T => (x.label === 'SAM' ? { ...x, label: NASTY } : x);
  const spectra = S.sampleSpectra();
  const inputs: ReportInputs = {
    solutions: ['SGD', NASTY, 'SWA'],
    rays: { ...S.sampleRays(3, 11), solutions: S.sampleRays(3, 11).solutions.map(rename) },
    lines: [S.sampleLine()],
    planes: [{ ...S.samplePlane(21), checkpoints: S.samplePlane(21).checkpoints.map(rename) }],
    spectra: { solutions: spectra.solutions.map(rename) },
    ball: { series: S.sampleBall().series.map(rename) },
    volume: { series: S.sampleVolume(30).series.map(rename) },
    training: { runs: S.sampleTraining(20, 5).runs.map(rename) },
    measures: [
      { label: 'SGD', accuracy: { value: 0.93, samples: 10000 }, trace: { estimate: 150, stderr: 4 } },
      { label: NASTY, accuracy: { value: 0.94, samples: 10000 }, trace: { estimate: 80, stderr: 2 } },
    ],
  };
  return buildReportContent(inputs, { title: `Report <${NASTY}>`, sources: [{ file: 'a </script>.json', schema: 'sharpness/ball@1' }] });
}

test('escapeScript and scriptJson: nothing can close the script element', (t) => {
  t.is(escapeScript('a = "</script>"; b = "</SCRIPT >"; c = "<!--";'), 'a = "<\\/script>"; b = "<\\/SCRIPT >"; c = "<\\!--";');
  const json = scriptJson({ s: '</script><!-- \u2028' });
  t.false(json.includes('<'));
  t.deepEqual(JSON.parse(json), { s: '</script><!-- \u2028' });
});

test('the HTML is self-contained: libraries and font inlined, no network references', async (t) => {
  const assets = await loadHtmlAssets();
  const html = htmlReport(sampleContent(), assets);
  // One <script> per library, the specs, the page script; every one closed exactly once.
  t.is((html.match(/<script\b/gi) ?? []).length, 5);
  t.is((html.match(/<\/script>/gi) ?? []).length, 5);
  t.true(html.includes('@font-face'));
  t.true(html.includes('data:font/ttf;base64,'));
  // No remote resources: no src/href to http(s), no @import, no remote url().
  t.notRegex(html, /(src|href)\s*=\s*["']?https?:/i);
  t.notRegex(html, /@import/i);
  t.notRegex(html, /url\(\s*["']?https?:/i);
  t.false(html.includes(`<${NASTY}>`));
  t.true(html.length > 800_000 && html.length < 4_000_000, `${html.length} bytes`);
});

test('writeReport: figures in three formats, index.html, tables and manifest; replaces only a report\'s files', async (t) => {
  const dir = path.join(await tempDir(), 'out');
  const content = sampleContent();
  const written = await writeReport(dir, content);
  const figures = (await readdir(path.join(dir, 'figures'))).sort();
  t.is(figures.length, 3 * content.figures.length);
  for (const f of content.figures) {
    t.true(figures.includes(`${f.name}.vl.json`) && figures.includes(`${f.name}.svg`) && figures.includes(`${f.name}.png`));
    const spec = JSON.parse(await readFile(path.join(dir, 'figures', `${f.name}.vl.json`), 'utf8')) as { $schema: string };
    t.is(spec.$schema, 'https://vega.github.io/schema/vega-lite/v6.json');
  }
  t.deepEqual(written.files.filter((f) => !f.startsWith('figures/')), ['comparison.json', 'comparison.txt', 'index.html', 'report.json']);
  t.is(written.index, path.join(dir, 'index.html'));
  t.true(await holdsReport(dir));
  // Other files in the directory are left alone; rewriting replaces the report's own (no stale figure or table).
  await mkdir(path.join(dir, 'results'));
  await writeFile(path.join(dir, 'results', 'ball.json'), '{}');
  await writeReport(dir, { ...content, figures: content.figures.slice(0, 1), table: null });
  t.is((await readdir(path.join(dir, 'figures'))).length, 3);
  t.deepEqual((await readdir(dir)).sort(), ['figures', 'index.html', 'report.json', 'results']);
  t.is(await readFile(path.join(dir, 'results', 'ball.json'), 'utf8'), '{}');
  // A directory whose index.html is someone else's is refused, and left alone.
  const other = path.join(path.dirname(dir), 'other');
  await mkdir(other);
  await writeFile(path.join(other, 'index.html'), 'mine');
  const e = await t.throwsAsync(writeReport(other, content), { instanceOf: InputError });
  t.true(e!.message.includes('is not part of a report'));
  t.deepEqual(await readdir(other), ['index.html']);
  t.is(await readFile(path.join(other, 'index.html'), 'utf8'), 'mine');
  await rm(path.dirname(dir), { recursive: true, force: true });
});

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** Chromium, or null after failing (CI) or passing (elsewhere) the test when it is not installed. */
function needChromium(t: import('ava').ExecutionContext): string | null {
  const chromium = chromiumPath();
  if (chromium) return chromium;
  if (process.env.CI) t.fail('chromium is not installed (apt-get install -y chromium); CI must run this test');
  else t.pass();
  t.log('chromium not found: skipped (set CI to make this a failure)');
  return null;
}

/** Loads a report in headless Chromium; the DOM once its scripts are done, and <body>'s attributes. */
async function loadInChromium(chromium: string, root: string, index: string) {
  const r = await run(
    chromium,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-extensions',
      `--user-data-dir=${path.join(root, 'profile')}`,
      '--virtual-time-budget=15000',
      '--dump-dom',
      `file://${index}`,
    ],
    90_000,
  );
  const dom = r.stdout;
  if (process.env.REPORT_DOM) await writeFile(process.env.REPORT_DOM, dom);
  // The real <body> is the last one: the inlined libraries mention '<body' in strings, before it.
  const body = /<body([^>]*)>/.exec(dom.slice(dom.lastIndexOf('<body')))?.[1] ?? '';
  const attr = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(body)?.[1];
  return { run: r, dom, attr };
}

test('in headless Chromium every chart renders as a non-empty SVG, with no errors', async (t) => {
  const chromium = needChromium(t);
  if (!chromium) return;
  const root = await tempDir();
  const dir = path.join(root, 'report');
  const content = sampleContent();
  await writeReport(dir, content);
  const { run: r, dom, attr } = await loadInChromium(chromium, root, path.join(dir, 'index.html'));
  t.is(r.status, 0, r.stderr.slice(-2000));
  t.is(attr('data-errors'), '0', attr('data-error-text'));
  t.is(attr('data-rendered'), String(content.figures.length));
  for (const f of content.figures) {
    const at = dom.indexOf(`id="chart-${f.name}"`);
    t.true(at >= 0, `no chart ${f.name}`);
    const end = dom.indexOf('</figure>', at);
    const chart = dom.slice(at, end);
    const svg = /<svg[^>]*width="(\d+(?:\.\d+)?)"[^>]*height="(\d+(?:\.\d+)?)"/.exec(chart);
    t.truthy(svg, `${f.name}: no <svg> with a size`);
    t.true(Number(svg![1]) > 100 && Number(svg![2]) > 100, `${f.name}: svg ${svg![1]} x ${svg![2]}`);
    t.true((chart.match(/role-mark/g) ?? []).length > 0, `${f.name}: no marks`);
    t.true((chart.match(/<text/g) ?? []).length > 5, `${f.name}: no text`);
  }
  // The label that tries to close the script is shown as text, not run.
  t.true(dom.includes('SAM &lt;/script&gt;'));
  await rm(root, { recursive: true, force: true });
});

test('in headless Chromium a figure that cannot be drawn is counted as an error', async (t) => {
  const chromium = needChromium(t);
  if (!chromium) return;
  const root = await tempDir();
  const good = sampleContent().figures[0]!;
  const broken = { ...good, name: 'broken', spec: { ...good.spec, hconcat: undefined, mark: { type: 'no-such-mark' } } as never };
  const html = htmlReport({ title: 'T', solutions: [], figures: [good, broken], table: null, sources: [] }, await loadHtmlAssets(false));
  const index = path.join(root, 'index.html');
  await writeFile(index, html);
  const { attr } = await loadInChromium(chromium, root, index);
  t.is(attr('data-rendered'), '1');
  t.is(attr('data-errors'), '1');
  t.regex(attr('data-error-text') ?? '', /broken/);
  await rm(root, { recursive: true, force: true });
});

test('writeReportFromFiles: results read from disk, labels matched to checkpoint paths (compare)', async (t) => {
  const root = await tempDir();
  const files: string[] = [];
  for (const d of allDocuments().filter((x) => x.name.startsWith('ball-l2') || x.name === 'evaluate.json')) {
    const f = path.join(root, d.name);
    await writeFile(f, JSON.stringify(d.doc));
    files.push(f);
  }
  const out = path.join(root, 'cmp');
  const index = await writeReportFromFiles(files, out, {
    labels: ['G', 'M', 'W'],
    checkpoints: [CHECKPOINTS.SGD.path, CHECKPOINTS.SAM.path, CHECKPOINTS.SWA.path],
    title: 'Comparison',
    embedFont: false,
  });
  t.is(index, path.join(out, 'index.html'));
  const manifest = JSON.parse(await readFile(path.join(out, 'report.json'), 'utf8')) as { solutions: string[]; title: string };
  t.is(manifest.title, 'Comparison');
  t.deepEqual(manifest.solutions, ['G', 'M', 'W', 'ensemble of 3']);
  await rm(root, { recursive: true, force: true });
});
