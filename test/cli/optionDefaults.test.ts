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
import { TRAIN_OPTIONS } from '../../src/cli/options/trainOptions.ts';
import { CHECK_OPTIONS } from '../../src/cli/options/checkCommandOptions.ts';
import { SELFTEST_OPTIONS } from '../../src/cli/options/selftestOptions.ts';
import { GLOBAL_OPTIONS } from '../../src/cli/globalOptions.ts';
import { TRAIN_DEFAULTS } from '../../src/training/trainConfig.ts';
import { CHECK_DEFAULTS } from '../../src/check/compareResults.ts';
import { DERIVATIVE_CHECK_DEFAULTS } from '../../src/check/derivativeCheck.ts';

/** The files that declare option tables (the one place defaults are written). */
const TABLE_FILES = new Set(['src/cli/analysisOptions.ts', 'src/cli/itemOptions.ts', 'src/cli/globalOptions.ts']);
const isTableFile = (f: string) => TABLE_FILES.has(f) || f.startsWith('src/cli/options/');

/**
 * Literals in src/cli that are choices, not defaults, each with its reason. An entry here is
 * a decision someone made; keep the list short.
 */
const NOT_DEFAULTS: readonly { file: string; text: string; why: string }[] = [
  // demo's protocols (the papers' settings, see demoPlan) are given to training explicitly, whatever train's defaults are.
  { file: 'src/cli/commands/demo.ts', text: "method: '", why: "demo's protocol: each run's method" },
  { file: 'src/cli/commands/demo.ts', text: "schedule: '", why: "demo's protocol: each run's schedule" },
  { file: 'src/cli/commands/demo.ts', text: 'rho: 0.05', why: "demo's protocol: the SAM paper's radius" },
  { file: 'src/cli/commands/demo.ts', text: 'p: 2', why: "demo's protocol: the SAM paper's norm" },
  { file: 'src/cli/commands/compare.ts', text: 'quiet: true', why: "a step of compare prints nothing (compare reports its steps)" },
  { file: 'src/cli/commands/compare.ts', text: 'json: false', why: 'a step of compare prints nothing' },
  { file: 'src/cli/commands/compare.ts', text: 'trace: true', why: "compare's hessian step always estimates the trace" },
  { file: 'src/cli/commands/compare.ts', text: 'density: true', why: "compare's hessian step always estimates the density" },
  { file: 'src/cli/commands/check.ts', text: 'allowDifferentCheckpoint: true', why: '--update reads the old baseline whatever checkpoint it measured' },
];

const LITERAL = String.raw`(?:-?\d[\d_.e+-]*|'[^']*'|"[^"]*"|true|false)`;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = path.join(dir, e);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every table: each command's and the global options. */
const ALL_TABLES: readonly OptionTable[] = [...Object.values(OPTION_TABLES).flat(), GLOBAL_OPTIONS];

/** Option names (camelCase) that have a default in some table (a yargs default or the library's). */
function defaulted(): Set<string> {
  const names = new Set<string>();
  for (const t of ALL_TABLES) for (const [n, s] of Object.entries(t)) if (s.default !== undefined || s.libraryDefault !== undefined) names.add(camelCase(n));
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
    ['train', TRAIN_OPTIONS, TRAIN_DEFAULTS],
    ['check', CHECK_OPTIONS, CHECK_DEFAULTS],
    ['selftest', SELFTEST_OPTIONS, DERIVATIVE_CHECK_DEFAULTS],
  ];
  for (const [name, table, library] of pairs) {
    let matched = 0;
    for (const [option, spec] of Object.entries(table)) {
      const key = camelCase(option);
      // --cycle: the library's default is swa's only (fge needs --cycle), so the table states it in words.
      if (!(key in library) || (name === 'train' && key === 'cycle')) continue;
      const value = (library as Record<string, unknown>)[key];
      // train: the library applies its defaults (an absent option means something there); the table shows them.
      if (name === 'train') t.is(spec.libraryDefault, value, `${name} --${option}`);
      else t.is(spec.default, value, `${name} --${option}`);
      matched++;
    }
    t.true(matched >= 2, `${name}: its table and the library's defaults share names`);
  }
  // Only train's options leave their defaults to the library.
  for (const table of ALL_TABLES) for (const [option, spec] of Object.entries(table)) if (table !== TRAIN_OPTIONS) t.is(spec.libraryDefault, undefined, `--${option}`);
  // The one number the command line, compare and the library used to disagree on.
  t.is(HESSIAN_OPTIONS['grid-points'].default, SLQ_DEFAULTS.gridPoints);
});

/** The describe text of an option repeats the table's default (`(default 10)`: a second place to keep in step). */
export function repeatsDefault(describe: string, value: unknown): boolean {
  const shown = typeof value === 'string' ? value : JSON.stringify(value);
  const escaped = shown.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(String.raw`\bdefault:?\s+['"]?${escaped}(?![\w.])`).test(describe);
}

test('no description repeats its default: --help shows the table\'s', (t) => {
  t.true(repeatsDefault('epochs (default 10)', 10));
  t.true(repeatsDefault('training method (default sgd)', 'sgd'));
  t.false(repeatsDefault('epochs (default 100)', 10));
  t.false(repeatsDefault('swa default 1: constant LR', 10));
  const repeated: string[] = [];
  for (const table of ALL_TABLES) {
    for (const [option, spec] of Object.entries(table)) {
      const value = spec.default ?? spec.libraryDefault;
      if (value !== undefined && repeatsDefault(spec.describe, value)) repeated.push(`--${option}: ${spec.describe}`);
    }
  }
  t.deepEqual(repeated, []);
});
