/**
 * Each option's default is declared once. The option tables (src/cli/options/) hold the
 * command line's defaults, taken from the library's defaults where the library has them; a
 * literal default anywhere else in src/cli (a yargs `default:`, or a hand-made argument
 * object filling an option with a literal, e.g. compare's old `gridPoints: 400`) competes
 * with the table and fails here, as does a table default that differs from the library's.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { OPTION_TABLES } from '../../src/cli/options/optionTables.ts';
import { camelCase, type OptionTable } from '../../src/cli/options/OptionTable.ts';
import { HESSIAN_OPTIONS } from '../../src/cli/options/hessianOptions.ts';
import { BALL_OPTIONS } from '../../src/cli/options/ballOptions.ts';
import { VOLUME_OPTIONS } from '../../src/cli/options/volumeOptions.ts';
import { HESSIAN_DEFAULTS } from '../../src/hessian/hessianOptions.ts';
import { BALL_DEFAULTS } from '../../src/sharpness/validateBallOptions.ts';
import { VOLUME_DEFAULTS } from '../../src/sharpness/flatVolume.ts';
import { SLQ_DEFAULTS } from '../../src/hessian/slq.ts';

/** The files that declare option tables (the one place defaults are written). */
const TABLE_FILES = new Set(['src/cli/analysisOptions.ts', 'src/cli/itemOptions.ts', 'src/cli/globalOptions.ts']);
const isTableFile = (f: string) => TABLE_FILES.has(f) || f.startsWith('src/cli/options/');

/**
 * Literals in src/cli that are choices, not defaults, each with its reason. An entry here is
 * a decision someone made; keep the list short.
 */
const NOT_DEFAULTS: readonly { file: string; text: string; why: string }[] = [
  { file: 'src/cli/commands/demo.ts', text: 'batchSize: 64', why: "demo's training recipe (train's --batch-size, not the analysis chunk size)" },
  { file: 'src/cli/commands/demo.ts', text: "loss: 'auto'", why: 'demo calls train, whose options are not a table yet' },
  { file: 'src/cli/commands/compare.ts', text: 'trace: true', why: "compare's hessian step always estimates the trace" },
  { file: 'src/cli/commands/compare.ts', text: 'density: true', why: "compare's hessian step always estimates the density" },
  // Commands whose options are not tables yet (README, Changelog: what remains). Converting one removes its lines.
  { file: 'src/cli/commands/bench.ts', text: 'default: false', why: 'not a table yet' },
  { file: 'src/cli/commands/check.ts', text: 'default: false', why: 'not a table yet' },
  { file: 'src/cli/commands/selftest.ts', text: 'default: 3', why: 'not a table yet' },
  { file: 'src/cli/commands/selftest.ts', text: 'default: 1e-3', why: 'not a table yet' },
  { file: 'src/cli/commands/swa.ts', text: "default: 'auto'", why: "not a table yet (--loss: the analysis table's default)" },
  { file: 'src/cli/commands/train.ts', text: "default: 'auto'", why: "not a table yet (--loss: the analysis table's default)" },
];

const LITERAL = String.raw`(?:-?\d[\d_.e+-]*|'[^']*'|"[^"]*"|true|false)`;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = path.join(dir, e);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Option names (camelCase) that have a default in some table. */
function defaulted(): Set<string> {
  const names = new Set<string>();
  for (const tables of Object.values(OPTION_TABLES)) for (const t of tables) for (const [n, s] of Object.entries(t)) if (s.default !== undefined) names.add(camelCase(n));
  return names;
}

/** Competing literal defaults in `text` of the named options: `name: literal` and yargs `default: literal`. */
export function competingDefaults(text: string, names: ReadonlySet<string>): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(new RegExp(String.raw`\bdefault\s*:\s*${LITERAL}`, 'g'))) found.push(m[0]);
  for (const m of text.matchAll(new RegExp(String.raw`(?<![.\w])([A-Za-z]\w*)\s*(?::|\?\?)\s*${LITERAL}(?=\s*[,;})\n])`, 'g'))) {
    if (names.has(m[1]!)) found.push(m[0]);
  }
  return found;
}

test('the check finds a second default: a yargs default and a hand-made argument', (t) => {
  const names = new Set(['gridPoints', 'topK']);
  t.deepEqual(competingDefaults(".option('grid-points', { type: 'number', default: 1000 })", names), ['default: 1000']);
  t.deepEqual(competingDefaults('args: { checkpoint: ckpt, gridPoints: 400, perLayer: false }', names), ['gridPoints: 400']);
  t.deepEqual(competingDefaults('const k = o.topK ?? 3;', names), []); // o.topK is a read, not a name
  t.deepEqual(competingDefaults('const k = topK ?? 3;', names), ['topK ?? 3']);
  t.deepEqual(competingDefaults('gridPoints: HESSIAN_DEFAULTS.gridPoints,', names), []);
});

test('no literal default of a table option in src/cli outside the tables', (t) => {
  const names = defaulted();
  t.true(names.has('gridPoints') && names.has('topK'));
  const offending: string[] = [];
  for (const f of sourceFiles('src/cli')) {
    if (isTableFile(f)) continue;
    const text = readFileSync(f, 'utf8');
    for (const hit of competingDefaults(text, names)) {
      if (NOT_DEFAULTS.some((a) => a.file === f && hit.startsWith(a.text))) continue;
      offending.push(`${f}: ${hit}`);
    }
  }
  t.deepEqual(offending, [], 'declare the default in the option table (src/cli/options/) and read it with defaultsOf');
  for (const a of NOT_DEFAULTS) t.true(readFileSync(a.file, 'utf8').includes(a.text), `stale NOT_DEFAULTS entry: ${a.file}: ${a.text}`);
});

test("each table's defaults are the library's", (t) => {
  const pairs: [string, OptionTable, object][] = [
    ['hessian', HESSIAN_OPTIONS, HESSIAN_DEFAULTS],
    ['ball', BALL_OPTIONS, BALL_DEFAULTS],
    ['volume', VOLUME_OPTIONS, VOLUME_DEFAULTS],
  ];
  for (const [name, table, library] of pairs) {
    for (const [option, spec] of Object.entries(table)) {
      const key = camelCase(option);
      if (key in library) t.is(spec.default, (library as Record<string, unknown>)[key], `${name} --${option}`);
    }
  }
  // The one number the command line, compare and the library used to disagree on.
  t.is(HESSIAN_OPTIONS['grid-points'].default, SLQ_DEFAULTS.gridPoints);
});
