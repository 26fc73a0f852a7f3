/**
 * Issue 15, the reads the first pass left: every file an input names goes through the one
 * safe reader (a FIFO cannot hang a command, a path a result names cannot lead outside the
 * result's directory), depth-bounded JSON for sidecars and recipes, a `--model` topology
 * checked before tfjs builds it, and SIGTERM handled like Ctrl-C (progress saved, exit 143).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { sharpness, canonicalText, runAndStop, savedItems } from '../helpers/cli.ts';
import { saveMnistMlp, tempDir } from '../helpers/checkpoints.ts';
import { useBackend } from '../helpers/engine.ts';
import { FIXTURES } from '../io/helpers/files.ts';
import { InputError } from '../../src/errors.ts';
import { parseSidecar } from '../../src/io/sidecar.ts';
import { parseRecipe } from '../../src/training/recipe.ts';
import { readResultFiles } from '../../src/report/readResults.ts';
import { createInterruptRegistry } from '../../src/cli/interrupt.ts';
import { trainDocument, trainLogDocument } from '../report/sampleDocuments.ts';

let dir = '';
test.before(async () => {
  await useBackend('cpu');
  dir = await tempDir('sharpness-reads-');
});

const fifo = (name: string): string => {
  const p = path.join(dir, name);
  execFileSync('mkfifo', [p]);
  return p;
};

const deepObject = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;

test('check: a FIFO as the result or baseline is refused at once (no hang)', async (t) => {
  const p = fifo('result.fifo');
  const r = await sharpness(['check', p, '--baseline', path.join(FIXTURES, '..', 'known-minima', 'linear-regression', 'golden', 'hessian.json')], { timeoutMs: 30_000 });
  t.is(r.status, 2, r.stderr);
  t.regex(r.stderr, /check: .*result\.fifo is a FIFO \(named pipe\), not a regular file/);
});

test('run: a FIFO or a deeply nested recipe is refused at once', async (t) => {
  const p = fifo('recipe.fifo');
  const r = await sharpness(['run', p, '--out', path.join(dir, 'run-out')], { timeoutMs: 30_000 });
  t.is(r.status, 2, r.stderr);
  t.regex(r.stderr, /recipe: .*recipe\.fifo is a FIFO \(named pipe\), not a regular file/);
  const e = t.throws(() => parseRecipe(deepObject(100_000), 'deep.json'), { instanceOf: InputError });
  t.regex(e!.message, /recipe deep\.json nests JSON more than 64 levels deep/);
});

test('an item command whose --out is a FIFO is refused at once (the existing --out is read safely)', async (t) => {
  const ck = await saveMnistMlp(path.join(dir, 'mlp'), 1, 4);
  const p = fifo('out.fifo');
  const r = await sharpness(['volume', ck, '--data', 'mnist:test:20', '--delta', '0.1', '--directions', '1', '--backend', 'cpu', '--out', p], { timeoutMs: 60_000 });
  t.is(r.status, 2, r.stderr);
  t.regex(r.stderr, /volume: .*out\.fifo is a FIFO \(named pipe\), not a regular file/);
});

test('a sidecar nesting JSON thousands of levels deep is an InputError naming the file', (t) => {
  const e = t.throws(() => parseSidecar(deepObject(10_000), 'CKPT/sharpness.json'), { instanceOf: InputError });
  t.regex(e!.message, /^checkpoint: CKPT\/sharpness\.json nests JSON more than 64 levels deep/);
  t.is(parseSidecar('{"method":"sgd","x":{"y":[1]}}', 'ok.json').method, 'sgd');
});

test('report: a training log a train result names must lie in the result\'s directory', async (t) => {
  const outside = path.join(dir, 'elsewhere');
  const runDir = path.join(dir, 'runs-sgd');
  mkdirSync(outside, { recursive: true });
  mkdirSync(runDir, { recursive: true });
  // A readable result document elsewhere on the machine, named as the log.
  const secret = path.join(outside, 'train-log.json');
  writeFileSync(secret, JSON.stringify(trainLogDocument('SGD')));
  const result = path.join(runDir, 'result.json');
  writeFileSync(result, JSON.stringify(trainDocument('SGD', secret)));
  await t.throwsAsync(readResultFiles([result]), {
    instanceOf: InputError,
    message: /report: .*result\.json names the training log .*elsewhere\/train-log\.json, which is not in the result's directory/,
  });
  // The same log beside the result is read.
  writeFileSync(path.join(runDir, 'train-log.json'), JSON.stringify(trainLogDocument('SGD')));
  const read = await readResultFiles([result]);
  t.deepEqual(
    read.sources.map((s) => path.basename(s.file)),
    ['result.json', 'train-log.json'],
  );
  t.is(path.dirname(read.sources[1]!.file), runDir);
});

test('train --model: a topology with a cycle is refused before tfjs builds it (no hang)', async (t) => {
  const j = JSON.parse(readFileSync(path.join(FIXTURES, 'keras-functional', 'model.json'), 'utf8'));
  const layers = j.modelTopology.model_config.config.layers as { name: string; inbound_nodes: unknown[] }[];
  layers.find((l) => l.name === 'a')!.inbound_nodes = [[['out', 0, 0, {}]]];
  const topo = path.join(dir, 'cyclic.json');
  writeFileSync(topo, JSON.stringify({ modelTopology: j.modelTopology.model_config }));
  const r = await sharpness(['train', '--model', topo, '--data', 'synthetic:blobs:32', '--epochs', '1', '--backend', 'cpu', '--out', path.join(dir, 'cyc-run')], { timeoutMs: 60_000 });
  t.is(r.status, 2, r.stderr);
  t.regex(r.stderr, /cyclic\.json has a model topology that cannot be built/);
});

test('SIGTERM is Ctrl-C with exit 143: the registry', (t) => {
  const lines: string[] = [];
  const exits: number[] = [];
  const r = createInterruptRegistry({ write: (l) => lines.push(l), exit: (c) => exits.push(c) });
  r.onInterrupt(() => 'partial results: out/a.json');
  r.interrupt('SIGTERM');
  t.deepEqual(lines, ['sharpness: interrupted (SIGTERM)', 'sharpness: partial results: out/a.json']);
  t.deepEqual(exits, [143]);
});

test('SIGTERM (Slurm preemption) saves the progress and exits 143; the same command resumes to the uninterrupted result', async (t) => {
  const ck = await saveMnistMlp(path.join(dir, 'mlp-term'), 1, 8);
  const args = ['volume', ck, '--data', 'mnist:test:100', '--delta', '0.05', '--directions', '8', '--bootstrap', '20', '--backend', 'cpu', '--save-interval', '0', '--workers', '1'];
  const full = path.join(dir, 'term-full.json');
  const f = await sharpness([...args, '--out', full, '--quiet']);
  t.is(f.status, 0, f.stderr);
  const out = path.join(dir, 'term.json');
  const progress = `${out}.partial.json`;
  const r = await runAndStop([...args, '--out', out], progress, 'SIGTERM', 2);
  t.is(r.status, 143, r.stderr);
  t.regex(r.stderr, /sharpness: interrupted \(SIGTERM\)/);
  t.regex(r.stderr, /partial results: .*term\.json\.partial\.json \(\d+ of 8 directions\)/);
  t.true(existsSync(progress));
  t.true(savedItems(progress) >= r.savedBeforeSignal);
  const again = await sharpness([...args, '--out', out]);
  t.is(again.status, 0, again.stderr);
  t.regex(again.stderr, /resuming from/);
  t.is(canonicalText(out), canonicalText(full));
});

test('merge: a FIFO named as a shard is refused at once, not read (no hang)', async (t) => {
  const dir = await tempDir('sharpness-merge-fifo-');
  const fifo = path.join(dir, 'shard.json');
  execFileSync('mkfifo', [fifo]);
  const r = await sharpness(['merge', fifo, '--out', path.join(dir, 'merged.json')], { timeoutMs: 30_000 });
  t.is(r.status, 2, r.stderr);
  t.regex(r.stderr, /^sharpness: merge: .*shard\.json is a FIFO \(named pipe\), not a regular file/m);
});
