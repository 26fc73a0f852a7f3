/**
 * A usage or input error starts with what the user typed: the command ("hessian: ...") or
 * the option ("--threads must be ..."), never the name of the function that found it
 * ("lanczosEigenpairs: ..."). This scans src for UsageError / InputError messages and for the
 * literal `where` a check is given (the prefix of its message), and fails on any other prefix
 * but the subjects listed below, each with its reason.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { OPTION_TABLES } from '../../src/cli/options/optionTables.ts';

const COMMANDS = new Set(Object.keys(OPTION_TABLES));

/**
 * Prefixes that are not a command or an option, each a decision with its reason. A subject
 * names what the user gave (the --data spec, a checkpoint or ONNX file) where the same reader
 * serves every command; the internal invariants are a caller's mistake, not a user's, and
 * should become plain Errors (exit 1). Keep the list short: fixing a prefix removes its line.
 */
const SUBJECTS: Readonly<Record<string, string>> = {
  data: 'the --data / --eval-data spec, read the same way by every command',
  npy: 'an npy: data file',
  checkpoint: 'a checkpoint directory or file, read the same way by every command',
  onnx: 'an ONNX graph, read the same way by every command',
  model: 'a model.json topology (train --model) or a checkpoint\'s model',
  write: 'an output file being written (any command\'s --out)',
  loss: 'the --loss against the data and the model',
  batchnorm: 'the BatchNorm pass of swa, train --method swa and landscape --bn recompute',
  quadratic: "selftest's known minima (their definition files)",
  'linear-regression': "selftest's known minima",
  'logistic-regression': "selftest's known minima",
  objective: 'internal invariant: parameter vectors of the wrong layout (a caller\'s mistake)',
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = path.join(dir, e);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The prefixes in `text`: of literal error messages and of literal `where`s given to checks. */
export function prefixesIn(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/new (?:UsageError|InputError)\(\s*[`'"]([A-Za-z][\w-]*):/g)) found.push(m[1]!);
  for (const m of text.matchAll(/\b(?:const where|WHERE|where)\s*(?::\s*string\s*)?=\s*'([^']*)'/g)) found.push(m[1]!);
  const checks = 'integerInRange|countOption|checkOption|checkOptions|integerAtLeast|positiveNumber|seedOf|validateSeed|checkIteration|validateNorm|parseShard|guardOutput|lockOutput';
  for (const m of text.matchAll(new RegExp(String.raw`\b(?:${checks})\(\s*'([^']*)'`, 'g'))) found.push(m[1]!);
  return found;
}

const allowed = (prefix: string) => prefix === '' || COMMANDS.has(prefix) || prefix in SUBJECTS;

test('the scan finds function names as prefixes', (t) => {
  const text = [
    "throw new UsageError(`cyclicLr: --cycle must be an integer >= 1, got ${cycle}`);",
    "throw new InputError('hessian: --top-k must be ...');",
    "throw new UsageError(`--threads must be an integer >= 1`);",
    "const where = 'lanczosEigenpairs';",
    "export function parseP(p: unknown, where = 'sam'): number {",
    "integerInRange('train', 'epochs', v, 1);",
  ].join('\n');
  t.deepEqual(prefixesIn(text), ['cyclicLr', 'hessian', 'lanczosEigenpairs', 'sam', 'train']);
  t.deepEqual(prefixesIn(text).filter((p) => !allowed(p)), ['cyclicLr', 'lanczosEigenpairs', 'sam']);
});

test('every error prefix in src is a command, an option or a listed subject', (t) => {
  const wrong: string[] = [];
  const used = new Set<string>();
  for (const f of sourceFiles('src')) {
    for (const p of prefixesIn(readFileSync(f, 'utf8'))) {
      used.add(p);
      if (!allowed(p)) wrong.push(`${f}: '${p}:'`);
    }
  }
  t.deepEqual(wrong, [], 'start the message with the command the user typed (or --option); see SUBJECTS for the exceptions');
  for (const s of Object.keys(SUBJECTS)) t.true(used.has(s), `stale SUBJECTS entry: ${s}`);
});
