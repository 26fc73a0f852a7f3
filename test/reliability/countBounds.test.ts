/**
 * Class 4: counts that would crash V8 or never end (--probes 1e9, --directions 1e9, a
 * 100000 x 100000 grid, ...) are refused at validation, exit 2, naming the bound, before
 * anything is loaded.
 */
import test from 'ava';
import { sharpness, lines } from '../helpers/cli.ts';
import { COUNT_LIMITS, integerInRange } from '../../src/limits.ts';
import { resolveHessianOptions } from '../../src/hessian/hessianOptions.ts';
import { validateBallOptions } from '../../src/sharpness/validateBallOptions.ts';
import { parseWorkers } from '../../src/parallel/WorkerPool.ts';
import { UsageError } from '../../src/errors.ts';

test('integerInRange: the one check, naming the option, the range and the value', (t) => {
  t.is(integerInRange('x', 'probes', 5, 1, 10), 5);
  t.throws(() => integerInRange('hessian', 'probes', 1e9, 1, 100000), { instanceOf: UsageError, message: 'hessian: --probes must be an integer in 1..100000, got 1000000000' });
  t.throws(() => integerInRange('', 'seed', -1, 0), { message: '--seed must be an integer >= 0, got -1' });
  t.throws(() => integerInRange('v', 'directions', 2 ** 60, 1), { message: /v: --directions must be an integer >= 1, got/ });
});

test('library validators bound every count', (t) => {
  t.throws(() => resolveHessianOptions({ probes: 1e9 }), { message: `hessian: --probes must be an integer in 1..${COUNT_LIMITS.probes}, got 1000000000` });
  t.throws(() => resolveHessianOptions({ gridPoints: 1e8 }), { message: /--grid-points must be an integer in 2\.\.100000/ });
  t.throws(() => resolveHessianOptions({ steps: 1e7 }), { message: /--steps must be an integer in 2\.\.100000/ });
  t.throws(() => resolveHessianOptions({ runs: 1e6 }), { message: /--runs must be an integer in 1\.\.10000/ });
  t.throws(() => validateBallOptions({ norm: 'l2', radii: [0.1], restarts: 1e8 } as never), { message: /ball: --restarts must be an integer in 0\.\.10000, got 100000000/ });
  t.throws(() => validateBallOptions({ norm: 'l2', radii: [0.1], samples: 1e12 } as never), { message: /ball: --samples must be an integer in 0\.\.1000000/ });
  t.throws(() => parseWorkers(100000), { message: /--workers must be an integer in 1\.\.1024/ });
});

test('the CLI refuses huge counts before loading anything (exit 2, one line)', async (t) => {
  const cases: [string[], RegExp][] = [
    [['hessian', 'nowhere', '--data', 'mnist:test:10', '--trace', '--probes', '1e9'], /hessian: --probes must be an integer in 1\.\.100000, got 1000000000/],
    [['volume', 'nowhere', '--data', 'mnist:test:10', '--delta', '0.1', '--directions', '1e9'], /volume: --directions must be an integer in 1\.\.100000, got 1000000000/],
    [['volume', 'nowhere', '--data', 'mnist:test:10', '--delta', '0.1', '--bootstrap', '1e9'], /volume: --bootstrap must be an integer in 1\.\.100000/],
    [['ball', 'nowhere', '--data', 'mnist:test:10', '--radius', '0.1', '--samples', '1e12'], /ball: --samples must be an integer in 0\.\.1000000/],
    [['landscape', 'nowhere', '--data', 'mnist:test:10', '--random-plane', '--range', '-1:1:100000'], /landscape: .*1000000 points/],
  ];
  const runs = await Promise.all(cases.map(([args]) => sharpness([...args, '--backend', 'cpu'], { timeoutMs: 60_000 })));
  runs.forEach((r, i) => {
    t.is(r.status, 2, r.stderr);
    t.regex(r.stderr, cases[i]![1]);
    t.is(lines(r.stderr).length, 1, r.stderr);
  });
});
