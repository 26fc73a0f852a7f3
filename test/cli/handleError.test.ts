import test from 'ava';
import { CommandLineError, handleError } from '../../src/cli/handleError.ts';
import { EngineError, InputError, NumericError, SharpnessError, UsageError } from '../../src/errors.ts';

function run(e: unknown, debug = false): { code: number; lines: string[] } {
  const lines: string[] = [];
  const code = handleError(e, { debug, write: (l) => lines.push(...l.split('\n')) });
  return { code, lines };
}

test('typed errors print their message on one line and exit with their code', (t) => {
  const cases: [SharpnessError, number][] = [
    [new UsageError('ball: --eps must be > 0, got 0'), 2],
    [new InputError('checkpoint: model.json not found'), 2],
    [new EngineError('backend: no wasm'), 3],
    [new NumericError('hessian: NaN in the HVP'), 4],
    [new SharpnessError('interrupted', 'interrupted'), 130],
  ];
  for (const [e, code] of cases) {
    const r = run(e);
    t.is(r.code, code);
    t.deepEqual(r.lines, [`sharpness: ${e.message}`]);
  }
});

test('a multi-line message is flattened to one line', (t) => {
  const r = run(new InputError('data: bad shape\n  expected [N, 784]'));
  t.deepEqual(r.lines, ['sharpness: data: bad shape; expected [N, 784]']);
});

test('a command-line error exits 2 and points at --help', (t) => {
  t.deepEqual(run(new CommandLineError('unknown option --x', 'ball')), {
    code: 2,
    lines: ["sharpness: unknown option --x; run 'sharpness ball --help' for usage"],
  });
  t.deepEqual(run(new CommandLineError('a command is required')).lines, [
    "sharpness: a command is required; run 'sharpness --help' for usage",
  ]);
});

test('an unexpected error is an internal error: exit 1, one line, no stack', (t) => {
  const r = run(new TypeError("Cannot read properties of undefined (reading 'shape')"));
  t.is(r.code, 1);
  t.deepEqual(r.lines, [
    "sharpness: internal error: Cannot read properties of undefined (reading 'shape') (rerun with --debug for the stack trace)",
  ]);
  t.is(run('a thrown string').code, 1);
});

test('--debug prints the stack and the causes', (t) => {
  const cause = new Error('root cause');
  const r = run(new EngineError('backend: broken', { cause }), true);
  t.is(r.code, 3);
  t.is(r.lines[0], 'sharpness: backend: broken');
  t.true(r.lines.some((l) => /^\s+at /.test(l)));
  t.true(r.lines.some((l) => l === 'Caused by: Error: root cause'));
  const internal = run(new RangeError('oops'), true);
  t.is(internal.code, 1);
  t.is(internal.lines[0], 'sharpness: internal error: oops');
  t.regex(internal.lines[1]!, /^RangeError: oops/);
});
