/**
 * One self-contained HTML report: vega, vega-lite and vega-embed inlined (no network),
 * the DejaVu Sans font embedded (the figures look as in the PNGs), every figure as its
 * Vega-Lite spec rendered in the page as SVG, the comparison table and a short
 * explanation of each measure. Pure: the caller passes the library sources and the font.
 *
 * When every chart has rendered, the page sets `data-rendered` (the number of charts
 * drawn) and `data-errors` (the number of errors: failed charts, uncaught errors,
 * console.error calls) on <body>, and `data-error-text` with their messages, so a headless
 * browser can check it.
 */
import { comparisonTableHtml, escapeHtml } from './comparisonTable.ts';
import { EXPLANATIONS } from './explanations.ts';
import type { ReportContent } from './reportContent.ts';
import type { PaperClaim } from './paperClaims.ts';
import type { ConsistencyRow } from './widthConsistency.ts';
import { FONT_FAMILY } from './theme.ts';

/** What the page inlines. */
export interface HtmlAssets {
  vega: string;
  vegaLite: string;
  vegaEmbed: string;
  /** DejaVu Sans as TrueType bytes; omitted: the browser's fallback font is used. */
  font?: Uint8Array;
  /** Shown in the footer, e.g. 'sharpness 0.1.0'. */
  generator?: string;
}

/** Makes JavaScript safe inside a <script> element: no '</script' or '<!--' can end or confuse it. */
export function escapeScript(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** JSON safe inside a <script> element: every '<' escaped (still valid JSON). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const CSS = `
:root { --ink: #222; --muted: #555; --rule: #ddd; }
* { box-sizing: border-box; }
body { font-family: '${FONT_FAMILY}', Verdana, sans-serif; color: var(--ink); margin: 0; background: #fff; font-size: 14px; line-height: 1.5; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 64px; }
h1 { font-size: 24px; font-weight: normal; margin: 0 0 4px; }
h2 { font-size: 18px; font-weight: normal; border-bottom: 1px solid var(--rule); padding-bottom: 4px; margin-top: 40px; }
h3 { font-size: 15px; font-weight: normal; margin: 28px 0 6px; }
p.lead, .muted { color: var(--muted); }
nav ol { padding-left: 20px; margin: 8px 0; }
figure { margin: 0 0 8px; }
.chart { overflow-x: auto; padding: 4px 0; }
figcaption { color: var(--muted); max-width: 820px; font-size: 13px; }
figcaption .files { display: block; margin-top: 2px; }
.claim { display: block; margin-top: 4px; color: var(--ink); }
.verdict-agrees { color: #007a4d; font-weight: bold; }
.verdict-disagrees { color: #b34700; font-weight: bold; }
.verdict-na { color: var(--muted); font-weight: bold; }
a { color: #0060a0; }
table.comparison { border-collapse: collapse; font-size: 13px; margin: 8px 0; font-variant-numeric: tabular-nums; }
table.comparison th, table.comparison td { padding: 4px 10px; border-bottom: 1px solid var(--rule); text-align: right; white-space: nowrap; }
table.comparison th[scope=row], table.comparison thead th:first-child { text-align: left; }
table.comparison thead th { border-bottom: 1.5px solid var(--ink); font-weight: normal; }
ol.notes { font-size: 12px; color: var(--muted); max-width: 900px; padding-left: 20px; }
.explanations p { max-width: 860px; }
.table-wrap { overflow-x: auto; }
.error { color: #b00020; }
`;

/** The page script: renders every spec, then records the outcome on <body>. */
const SCRIPT = `
(function () {
  var errors = [];
  function record(message) {
    errors.push(String(message));
    document.body.setAttribute('data-errors', String(errors.length));
    document.body.setAttribute('data-error-text', errors.join(' | '));
  }
  window.addEventListener('error', function (e) { record(e.message || 'error'); });
  window.addEventListener('unhandledrejection', function (e) { record(e.reason || 'unhandled rejection'); });
  var consoleError = console.error;
  console.error = function () {
    record(Array.prototype.map.call(arguments, String).join(' '));
    return consoleError.apply(console, arguments);
  };
  document.body.setAttribute('data-errors', '0');
  var specs = JSON.parse(document.getElementById('report-specs').textContent);
  var names = Object.keys(specs);
  var fontsReady = document.fonts && document.fonts.load
    ? document.fonts.load('10px "${FONT_FAMILY}"').catch(function () { return null; })
    : Promise.resolve(null);
  fontsReady.then(function () {
    return Promise.all(names.map(function (name) {
      var el = document.getElementById('chart-' + name);
      return vegaEmbed(el, specs[name], { actions: false, renderer: 'svg' }).then(
        function () { return 1; },
        function (e) {
          el.innerHTML = '<p class="error">This figure could not be drawn: ' + String(e && e.message || e).replace(/</g, '&lt;') + '</p>';
          record(name + ': ' + (e && e.message || e));
          return 0;
        });
    }));
  }).then(function (done) {
    document.body.setAttribute('data-rendered', String(done.reduce(function (a, b) { return a + b; }, 0)));
  });
})();
`;

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** The whole report as one HTML document. */
/** Which paper figure a figure reproduces, the paper's claim and the verdict here. */
function claimHtml(c: PaperClaim): string {
  const e = escapeHtml;
  const cls = c.verdict === 'agrees' ? 'verdict-agrees' : c.verdict === 'disagrees' ? 'verdict-disagrees' : 'verdict-na';
  const word = c.verdict === 'agrees' ? 'agrees' : c.verdict === 'disagrees' ? 'does not agree' : 'cannot be compared';
  return `<span class="claim">Reproduces ${e(c.reproduces)}. The paper: ${e(c.claim)} Here the small-scale result <span class="${cls}">${word}</span>: ${e(c.evidence)}.</span>`;
}

/** Measured against predicted widths, one row per solution, measure and radius. */
function consistencyTableHtml(rows: readonly ConsistencyRow[]): string {
  const e = escapeHtml;
  const g = (x: number) => (Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(2) : x.toPrecision(3));
  const body = rows
    .map((r) => `<tr><th scope="row">${e(r.label)}</th><td>${e(r.measure)}</td><td>${e(r.at)}</td><td>${g(r.measured)}</td><td>${g(r.predicted)} = ${e(r.formula)}</td><td>${g(r.ratio)}</td></tr>`)
    .join('\n');
  return `<span class="files"><table class="comparison"><thead><tr><th>solution</th><th>measure</th><th>at</th><th>measured</th><th>predicted</th><th>ratio</th></tr></thead><tbody>\n${body}\n</tbody></table></span>`;
}

export function htmlReport(content: ReportContent, assets: HtmlAssets): string {
  const e = escapeHtml;
  const specs: Record<string, unknown> = {};
  for (const f of content.figures) specs[f.name] = f.spec;
  const fontFace = assets.font
    ? `@font-face { font-family: '${FONT_FAMILY}'; src: url(data:font/ttf;base64,${base64(assets.font)}) format('truetype'); font-weight: normal; font-style: normal; }\n`
    : '';
  const toc = [
    ...(content.table ? ['<li><a href="#summary">Summary</a></li>'] : []),
    ...content.figures.map((f) => `<li><a href="#${e(f.name)}">${e(f.title)}</a></li>`),
    '<li><a href="#measures">The measures</a></li>',
    '<li><a href="#sources">Sources</a></li>',
  ].join('\n');
  const figures = content.figures
    .map(
      (f) => `<section id="${e(f.name)}">
<h3>${e(f.title)}</h3>
<figure>
<div class="chart" id="chart-${e(f.name)}" role="img" aria-label="${e(f.title)}"></div>
<figcaption>${e(f.caption)}${f.claim ? claimHtml(f.claim) : ''}${f.name === 'width-consistency' && content.consistency ? consistencyTableHtml(content.consistency) : ''}
<span class="files">Files: <a href="figures/${e(f.name)}.svg">SVG</a> · <a href="figures/${e(f.name)}.png">PNG</a> · <a href="figures/${e(f.name)}.vl.json">Vega-Lite spec</a> (paste into the Vega editor to restyle)</span></figcaption>
</figure>
</section>`,
    )
    .join('\n');
  const summary = content.table
    ? `<section id="summary">
<h2>Summary</h2>
<p class="muted">Each value with its uncertainty; the numbered notes say how each is obtained. Also in <a href="comparison.txt">comparison.txt</a> and <a href="comparison.json">comparison.json</a>.</p>
<div class="table-wrap">
${comparisonTableHtml(content.table)}
</div>${content.tableClaim ? `\n<p>${claimHtml(content.tableClaim)}</p>` : ''}
</section>`
    : '';
  const explanations = EXPLANATIONS.map((x) => `<h3 id="${x.id}">${e(x.title)}</h3>\n${x.html}`).join('\n');
  const sources =
    content.sources.length > 0
      ? `<ul>\n${content.sources.map((s) => `<li><code>${e(s.file)}</code> (${e(s.schema)})</li>`).join('\n')}\n</ul>`
      : '<p class="muted">No source files recorded.</p>';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(content.title)}</title>
<style>
${fontFace}${CSS}
</style>
<script>${escapeScript(assets.vega)}</script>
<script>${escapeScript(assets.vegaLite)}</script>
<script>${escapeScript(assets.vegaEmbed)}</script>
</head>
<body>
<main>
<h1>${e(content.title)}</h1>
<p class="lead">Solutions: ${content.solutions.map(e).join(', ') || '(none)'}. ${content.figures.length} figure${content.figures.length === 1 ? '' : 's'}, drawn from saved results only.</p>
<nav><ol>
${toc}
</ol></nav>
${summary}
${content.figures.length > 0 ? `<h2>Figures</h2>\n${figures}` : ''}
<section id="measures" class="explanations">
<h2>The measures</h2>
${explanations}
</section>
<section id="sources">
<h2>Sources</h2>
${sources}
<p class="muted">Made by ${e(assets.generator ?? 'sharpness')}. Every figure is drawn from these files, never recomputed.</p>
</section>
</main>
<script type="application/json" id="report-specs">${scriptJson(specs)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
