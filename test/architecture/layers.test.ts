/**
 * The house's two structural rules (docs/architecture.md):
 * - imports point one way: a folder imports only folders of its own rank or below;
 * - only io/, cli/ and the report renderer touch the file system, the process or the console.
 * Both read src/ as text; a rule broken by a new file fails here with the file named.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sourceFiles } from './importCycles.ts';

const SRC = path.resolve('src');

/** Rank of each top-level folder or file of src/; higher ranks may import lower ones. */
const RANK: Record<string, number> = {
  'errors.ts': 0,
  'messages.ts': 0,
  'version.ts': 0,
  'limits.ts': 0,
  engine: 0,
  io: 1,
  formats: 2,
  models: 2,
  directions: 3,
  objective: 3,
  results: 4,
  analysis: 5,
  parallel: 5,
  hessian: 6,
  sharpness: 6,
  landscape: 6,
  training: 7,
  check: 7,
  report: 7,
  cli: 8,
  'index.ts': 9,
};

const topOf = (file: string): string => path.relative(SRC, file).split(path.sep)[0]!;
const IMPORT = /(?:^\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?|import\(\s*)['"]([^'"]+)['"]/gm;

/** The code of a file without comments and string contents (so a word in a message or comment is not code). */
function codeOf(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:])\/\/.*$/gm, '$1')
    .replace(/`(?:\\.|[^`\\])*`/g, '``')
    .replace(/'(?:\\.|[^'\\\n])*'/g, "''")
    .replace(/"(?:\\.|[^"\\\n])*"/g, '""');
}

test('every import points to the same rank or below', (t) => {
  const wrong: string[] = [];
  for (const f of sourceFiles(SRC)) {
    const from = topOf(f);
    t.true(from in RANK, `${path.relative(SRC, f)}: its folder has no rank in this test`);
    for (const m of readFileSync(f, 'utf8').matchAll(IMPORT)) {
      if (!m[1]!.startsWith('.')) continue;
      const to = topOf(path.resolve(path.dirname(f), m[1]!));
      if ((RANK[to] ?? -1) > (RANK[from] ?? -1)) wrong.push(`${path.relative(SRC, f)} imports ${m[1]} (${from} -> ${to})`);
    }
  }
  t.deepEqual(wrong, []);
});

/** Files allowed to touch the file system, the process or the console, besides io/ and cli/. */
const EDGE_FILES = new Set([
  // the report renderer: writes figures and pages, reads the fonts it embeds
  'report/writeReport.ts',
  'report/renderPng.ts',
  'report/renderSvg.ts',
  'report/fonts.ts',
  // tfjs-backend-wasm's threaded build needs its worker script as a real file (docs/engine.md)
  'engine/wasmThreads.ts',
  // finding a GPU device node and Vulkan driver before Dawn starts (docs/engine-webgpu.md)
  'engine/webgpu.ts',
]);
const TOUCHES = [
  { what: 'imports node:fs', re: /(?:from|import\()\s*['"](?:node:)?fs(?:\/promises)?['"]/ },
  { what: 'imports node:child_process', re: /(?:from|import\()\s*['"](?:node:)?child_process['"]/ },
  { what: 'uses process', re: /\bprocess\s*\.\s*(?!env\b)\w+/ },
  { what: 'uses console', re: /\bconsole\s*\.\s*\w+/ },
];

test('only io/, cli/ and the report renderer touch the file system, the process or the console', (t) => {
  const wrong: string[] = [];
  for (const f of sourceFiles(SRC)) {
    const rel = path.relative(SRC, f).split(path.sep).join('/');
    const top = topOf(f);
    if (top === 'io' || top === 'cli' || EDGE_FILES.has(rel)) continue;
    const raw = readFileSync(f, 'utf8');
    const code = codeOf(raw);
    for (const { what, re } of TOUCHES) {
      // imports are matched on the raw text (their specifier is a string), the rest on code only
      if (re.test(what.startsWith('imports') ? raw : code)) wrong.push(`${rel} ${what}`);
    }
  }
  t.deepEqual(wrong, []);
});
