/**
 * `sharpness compare` as a user runs it: every measure of every solution becomes a result
 * file, each equal to what the same command run on its own writes (each step is the
 * command's job description, run by the command's runner in-process), a report is written, and a rerun skips what is done.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { sharpness } from '../helpers/cli.ts';
import { saveMnistMlp, tempDir } from '../helpers/checkpoints.ts';
import { useBackend } from '../helpers/engine.ts';

const SMALL = [
  '--data', 'mnist:test:60', '--top-k', '1', '--probes', '3', '--density-runs', '1', '--density-steps', '4',
  '--l2-radii', '0.05', '--box-radii', '1e-4', '--ball-steps', '2', '--ball-samples', '2',
  '--volume-directions', '3', '--rays', '1', '--ray-range', '0:1:3', '--line-range', '0:1:3', '--backend', 'cpu',
];

const strip = (file: string) => {
  const d = JSON.parse(readFileSync(file, 'utf8'));
  d.cost.seconds = 0;
  return d;
};

test('compare: one result per measure, each equal to the command run alone; a rerun skips finished steps', async (t) => {
  await useBackend('cpu');
  const dir = await tempDir('sharpness-compare-');
  const a = await saveMnistMlp(path.join(dir, 'a'), 1, 6);
  const b = await saveMnistMlp(path.join(dir, 'b'), 2, 6);
  const out = path.join(dir, 'cmp');
  const r = await sharpness(['compare', a, b, '--labels', 'A,B', ...SMALL, '--workers', '2', '--out', out], { timeoutMs: 240_000 });
  t.is(r.status, 0, r.stderr);
  const results = readdirSync(path.join(out, 'results')).sort();
  for (const L of ['A', 'B']) {
    for (const m of ['evaluate-train', 'evaluate-eval', 'hessian', 'ball-l2', 'ball-l2-adaptive', 'ball-box', 'volume']) t.true(results.includes(`${L}.${m}.json`), `${L}.${m}`);
  }
  t.true(existsSync(path.join(out, 'index.html')));
  t.false(results.some((f) => f.endsWith('.partial.json')), 'no progress files left');

  // The hessian and volume steps equal the commands run on their own, on one thread.
  const h = path.join(dir, 'h.json');
  const rh = await sharpness(['hessian', a, '--data', 'mnist:test:60', '--top-k', '1', '--trace', '--probes', '3', '--density', '--runs', '1', '--steps', '4', '--backend', 'cpu', '--out', h]);
  t.is(rh.status, 0, rh.stderr);
  // The whole document: the options recorded too (the step is the command's own job description).
  t.deepEqual(strip(path.join(out, 'results', 'A.hessian.json')), strip(h));
  const v = path.join(dir, 'v.json');
  const rv = await sharpness(['volume', b, '--data', 'mnist:test:60', '--delta', '0.1', '--directions', '3', '--backend', 'cpu', '--out', v]);
  t.is(rv.status, 0, rv.stderr);
  t.deepEqual(strip(path.join(out, 'results', 'B.volume.json')), strip(v));

  const again = await sharpness(['compare', a, b, '--labels', 'A,B', ...SMALL, '--out', out]);
  t.is(again.status, 0, again.stderr);
  t.regex(again.stderr, /A hessian: done earlier/);
});
