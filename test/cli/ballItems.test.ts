/**
 * `sharpness ball` as items, as a user runs it: shards 1/2 and 2/2 merged, --workers 2, and
 * a run killed midway (SIGKILL) and rerun all end with the document of one uninterrupted run
 * on one thread (cost.seconds aside); a progress file of another ball computation is refused.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { sharpness, canonicalText, runAndStop } from '../helpers/cli.ts';
import { saveMnistMlp, tempDir } from '../helpers/checkpoints.ts';
import { useBackend } from '../helpers/engine.ts';

let dir = '';
let ckpt = '';
let full = '';

// Per radius: the SAM start, 3 restarts and 2 batches of 8 samples: 12 items, about a
// tenth of a second each on the cpu backend; --save-interval 0 saves after every item.
const ball = () => [
  'ball', ckpt, '--data', 'mnist:test:200', '--radius', '0.05,0.2', '--restarts', '3', '--samples', '16', '--steps', '5',
  '--backend', 'cpu', '--save-interval', '0',
];
const ITEMS = 12;

test.before(async () => {
  await useBackend('cpu');
  dir = await tempDir('sharpness-ball-');
  ckpt = await saveMnistMlp(path.join(dir, 'mlp'), 1, 8);
  full = path.join(dir, 'full.json');
  const r = await sharpness([...ball(), '--out', full, '--workers', '1', '--quiet']);
  if (r.status !== 0) throw new Error(`uninterrupted run failed: ${r.stderr}`);
});

test('the uninterrupted run: a ball document with every start and sample counted', (t) => {
  const doc = JSON.parse(readFileSync(full, 'utf8'));
  t.is(doc.schema, 'sharpness/ball@1');
  t.is(doc.result.points.length, 2);
  for (const p of doc.result.points) {
    t.is(p.samples, 16);
    t.is(p.restarts, 3);
    t.true(p.maxLoss >= doc.result.baseLoss);
  }
  t.is(doc.cost.gradients, 1 + doc.result.points.reduce((s: number, p: { gradients: number }) => s + p.gradients, 0));
  t.is(doc.cost.lossEvaluations, doc.result.cost.lossEvaluations);
  t.false('out' in doc.options || 'workers' in doc.options || 'shard' in doc.options, 'where and how it ran is not recorded');
  t.is(doc.options.radius, '0.05,0.2');
});

test('shards 1/2 and 2/2 merged equal the single run; a missing shard is named', async (t) => {
  const parts = [1, 2].map((k) => path.join(dir, `part${k}.json`));
  for (const [k, part] of parts.entries()) {
    const r = await sharpness([...ball(), '--shard', `${k + 1}/2`, '--out', part]);
    t.is(r.status, 0, r.stderr);
    t.regex(r.stdout, new RegExp(`ball: shard ${k + 1}/2: 6 of ${ITEMS} starts and sample batches`));
    t.is(JSON.parse(readFileSync(part, 'utf8')).schema, 'sharpness/ball-shard@1');
  }
  const merged = path.join(dir, 'merged.json');
  const m = await sharpness(['merge', parts[1]!, parts[0]!, '--out', merged, '--quiet']);
  t.is(m.status, 0, m.stderr);
  t.is(canonicalText(merged), canonicalText(full));
  const missing = await sharpness(['merge', parts[0]!]);
  t.is(missing.status, 2);
  t.regex(missing.stderr, /merge: 6 of 12 items are missing \(items 1, 3, 5, .*\); missing shard 2\/2/);
});

test('--workers 2 gives the document of one thread, byte for byte', async (t) => {
  const out = path.join(dir, 'workers2.json');
  const r = await sharpness([...ball(), '--out', out, '--workers', '2']);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stderr, new RegExp(`ball: ${ITEMS} starts and sample batches to compute on 2 worker threads`));
  t.is(canonicalText(out), canonicalText(full));
});

test('killed with SIGKILL midway: another ball refuses the partial results; the same command resumes to the same document', async (t) => {
  const out = path.join(dir, 'killed.json');
  const progress = `${out}.partial.json`;
  const killed = await runAndStop([...ball(), '--out', out], progress, 'SIGKILL', 3);
  t.is(killed.signal, 'SIGKILL', `the run ended before it could be killed: ${killed.stderr}`);
  t.false(existsSync(out), 'no result file yet');
  const saved = (JSON.parse(readFileSync(progress, 'utf8')) as { items: unknown[] }).items.length;
  t.true(saved >= 3 && saved < ITEMS, `${saved} items saved`);

  const other = await sharpness([...ball(), '--seed', '5', '--out', out]);
  t.is(other.status, 2, other.stderr);
  t.regex(other.stderr, /killed\.json\.partial\.json holds partial results of a different computation \(options\.seed: 0 vs 5; saved vs this command\)/);
  t.true(existsSync(progress), 'a refused rerun leaves the partial results alone');

  const again = await sharpness([...ball(), '--out', out]);
  t.is(again.status, 0, again.stderr);
  t.regex(again.stderr, new RegExp(`resuming from .*killed\\.json\\.partial\\.json: ${saved} of ${ITEMS} starts and sample batches done`));
  t.false(existsSync(progress), 'the progress file is removed once the result is written');
  t.is(canonicalText(out), canonicalText(full));
});
