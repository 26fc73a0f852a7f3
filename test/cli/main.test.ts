import test from 'ava';
import { installHint } from '../../src/engine/backend.ts';
import { sharpness, lines, STACK_FRAME } from '../helpers/cli.ts';

function isTfjsNodeInstalled(): boolean {
  try {
    import.meta.resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

test('--help exits 0 and lists the commands and global options', async (t) => {
  const r = await sharpness(['--help']);
  t.is(r.status, 0, r.stderr);
  for (const opt of ['--backend', '--threads', '--seed', '--out', '--json', '--quiet', '--debug', '--help', '--version']) {
    t.true(r.stdout.includes(opt), `--help lacks ${opt}`);
  }
  t.regex(r.stdout, /sharpness backends/);
  t.regex(r.stdout, /Exit codes:/);
  t.is(r.stderr, '');
});

test('--version prints the package version', async (t) => {
  const r = await sharpness(['--version']);
  t.is(r.status, 0);
  t.regex(r.stdout.trim(), /^\d+\.\d+\.\d+/);
});

test('an unknown option: exit 2, one line on stderr, no stack trace', async (t) => {
  const r = await sharpness(['backends', '--bogus']);
  t.is(r.status, 2);
  t.deepEqual(lines(r.stderr), [
    "sharpness: unknown option --bogus; run 'sharpness backends --help' for usage",
  ]);
  t.notRegex(r.stderr, STACK_FRAME);
  t.is(r.stdout, '');
});

test('no command: exit 2 with one line', async (t) => {
  const r = await sharpness([]);
  t.is(r.status, 2);
  t.deepEqual(lines(r.stderr), ["sharpness: a command is required; run 'sharpness --help' for usage"]);
});

test('a mistyped command suggests the right one', async (t) => {
  const r = await sharpness(['backend']);
  t.is(r.status, 2);
  t.is(lines(r.stderr).length, 1);
  t.regex(r.stderr, /unknown command backend \(did you mean backends\?\)/);
});

test('--backend nope: exit 2, one line naming --backend and the choices', async (t) => {
  const r = await sharpness(['--backend', 'nope', 'backends']);
  t.is(r.status, 2);
  const out = lines(r.stderr);
  t.is(out.length, 1, r.stderr);
  t.regex(out[0]!, /^sharpness: --backend must be one of "auto", "wasm", "cpu", "webgpu", "tensorflow", "tensorflow-gpu", got "nope"/);
  t.notRegex(r.stderr, STACK_FRAME);
});

for (const [args, pattern] of [
  [['--threads', '1.5'], /--threads must be an integer >= 1, got 1\.5/],
  [['--threads', 'abc'], /--threads must be an integer >= 1, got abc/],
  [['--threads'], /--threads needs a value/],
  [['--seed', '-1'], /--seed must be an integer >= 0, got -1/],
] as const) {
  test(`backends ${args.join(' ')}: exit 2 with one line`, async (t) => {
    const r = await sharpness(['backends', ...args]);
    t.is(r.status, 2);
    t.is(lines(r.stderr).length, 1, r.stderr);
    t.regex(r.stderr, pattern);
  });
}

test('backends --backend cpu --json prints the result document on stdout and the engine line on stderr', async (t) => {
  const r = await sharpness(['backends', '--backend', 'cpu', '--json']);
  t.is(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { schema: string; available: string[]; engine: Record<string, unknown> };
  t.is(doc.schema, 'sharpness/backends@1');
  t.true(doc.available.includes('cpu') && doc.available.includes('wasm'));
  t.false(doc.available.includes('auto'));
  t.like(doc.engine, { requested: 'cpu', backend: 'cpu', device: 'cpu' });
  t.deepEqual(lines(r.stderr), [`engine: cpu (1 thread), tfjs ${String(doc.engine.tfjsVersion)}`]);
});

test('--quiet leaves stderr empty; without --json stdout is a table', async (t) => {
  const r = await sharpness(['backends', '--backend', 'wasm', '--quiet']);
  t.is(r.status, 0, r.stderr);
  t.is(r.stderr, '');
  t.regex(r.stdout, /^wasm\s+in use/m);
  t.regex(r.stdout, /^cpu\s+available/m);
});

test('--backend tensorflow without tfjs-node: exit 3 with the install hint as one line', async (t) => {
  if (isTfjsNodeInstalled()) return t.pass('tfjs-node is installed here');
  const r = await sharpness(['--backend', 'tensorflow', 'backends']);
  t.is(r.status, 3);
  t.deepEqual(lines(r.stderr), [`sharpness: ${installHint('tensorflow')}`]);
  t.notRegex(r.stderr, STACK_FRAME);
  t.is(r.stdout, '');
});

test('--debug adds the stack trace', async (t) => {
  if (isTfjsNodeInstalled()) return t.pass('tfjs-node is installed here');
  const r = await sharpness(['--backend', 'tensorflow', 'backends', '--debug']);
  t.is(r.status, 3);
  const out = lines(r.stderr);
  t.is(out[0], `sharpness: ${installHint('tensorflow')}`);
  t.true(out.length > 2);
  t.regex(r.stderr, STACK_FRAME);
  t.regex(r.stderr, /EngineError/);
});
