/**
 * `hessian --top-k 1` (one item: the eigen-solve runs in the main thread) with --workers 2
 * spreads its chunks over two worker threads and writes the same document as --workers 1,
 * cost.seconds aside.
 */
import test from 'ava';
import path from 'node:path';
import { canonicalText, sharpness } from '../helpers/cli.ts';
import { saveMnistMlp, tempDir } from '../helpers/checkpoints.ts';
import { useBackend } from '../helpers/engine.ts';

test('hessian --top-k 1 --workers 2 (data-parallel) writes the document --workers 1 writes', async (t) => {
  await useBackend('wasm');
  const dir = await tempDir();
  const ck = await saveMnistMlp(path.join(dir, 'mlp'), 3);
  const run = async (workers: number) => {
    const out = path.join(dir, `h${workers}.json`);
    const r = await sharpness(['hessian', ck, '--data', 'mnist:test:150', '--batch-size', '30', '--top-k', '1', '--tol', '1e-3', '--workers', String(workers), '--out', out, '--quiet']);
    t.is(r.status, 0, r.stderr);
    return canonicalText(out);
  };
  const one = await run(1);
  const two = await run(2);
  t.is(two, one);
  t.regex(one, /"eigenvalues"/);
});
