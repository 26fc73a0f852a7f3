/**
 * `sharpness volume` as independent items, as a user runs it: shards merged, worker threads,
 * and a run killed (SIGKILL) or interrupted (Ctrl-C) then rerun all give the document of a
 * single uninterrupted run (cost.seconds aside), whose result is flatVolume's on the same
 * objective. A tiny MLP, 200 samples, 6 directions per group (whole model + 2 layers).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { sharpness, canonicalText, runAndStop, savedItems } from '../helpers/cli.ts';
import { saveMnistMlp, tempDir } from '../helpers/checkpoints.ts';
import { useBackend } from '../helpers/engine.ts';
import { openAnalysisFor } from '../../src/analysis/openAnalysis.ts';
import { flatVolume } from '../../src/sharpness/flatVolume.ts';

let dir = '';
let ck = '';
let full = '';

const DIRECTIONS = 6;
const ITEMS = DIRECTIONS * 3;
// --save-interval 0 saves progress after every direction, so a run can be stopped midway.
const volume = () => [
  'volume',
  ck,
  '--data',
  'mnist:test:200',
  '--delta',
  '0.05',
  '--directions',
  String(DIRECTIONS),
  '--bootstrap',
  '20',
  '--per-layer',
  '--backend',
  'cpu',
  '--save-interval',
  '0',
];

test.before(async () => {
  await useBackend('cpu');
  dir = await tempDir('sharpness-volume-');
  ck = await saveMnistMlp(path.join(dir, 'mlp'), 1, 8);
  full = path.join(dir, 'full.json');
  const r = await sharpness([...volume(), '--workers', '1', '--out', full, '--quiet']);
  if (r.status !== 0) throw new Error(`uninterrupted run failed: ${r.stderr}`);
});

test('the result is flatVolume\'s on the same objective, cost included', async (t) => {
  const doc = JSON.parse(readFileSync(full, 'utf8'));
  t.is(doc.schema, 'sharpness/volume@1');
  const a = await openAnalysisFor({ checkpoint: ck, data: 'mnist:test:200', loss: 'auto', bn: 'eval', l2: 0, batchSize: 1000, seed: 0 });
  try {
    const r = flatVolume(a.objective, { delta: 0.05, directions: DIRECTIONS, bootstrap: 20, perLayer: true, seed: 0, norm: 'none', ignore: [] });
    t.deepEqual(doc.result, JSON.parse(JSON.stringify(r)));
    t.is(JSON.stringify(doc.result), JSON.stringify(r));
    t.is(r.perLayer!.length, 2);
    t.deepEqual([doc.cost.lossEvaluations, doc.cost.gradients, doc.cost.hvps], [r.cost.lossEvaluations, 0, 0]);
    t.is(doc.checkpoint.sha256, a.checkpoint.sha256);
    t.is(doc.data.samples, 200);
    t.deepEqual([doc.options.delta, doc.options.directions, doc.options.perLayer, doc.options.norm, doc.seed], [0.05, DIRECTIONS, true, 'none', 0]);
    for (const k of ['out', 'json', 'quiet', 'workers', 'shard']) t.false(k in doc.options, `${k} is not recorded`);
  } finally {
    a.dispose();
  }
});

test('--workers 2 writes the same document as --workers 1', async (t) => {
  const out = path.join(dir, 'workers2.json');
  const r = await sharpness([...volume(), '--workers', '2', '--out', out]);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stderr, new RegExp(`volume: ${ITEMS} directions to compute on 2 worker threads`));
  t.is(canonicalText(out), canonicalText(full));
});

test('shards 1/2 and 2/2 merged equal a single run; a missing shard is named', async (t) => {
  const parts = [1, 2].map((k) => path.join(dir, `part${k}.json`));
  for (const [k, p] of parts.entries()) {
    const r = await sharpness([...volume(), '--workers', '1', '--shard', `${k + 1}/2`, '--out', p, '--quiet']);
    t.is(r.status, 0, r.stderr);
  }
  const shard2 = JSON.parse(readFileSync(parts[1]!, 'utf8'));
  t.is(shard2.schema, 'sharpness/volume-shard@1');
  t.deepEqual(
    shard2.result.items.map((x: { i: number }) => x.i),
    Array.from({ length: ITEMS }, (_, i) => i).filter((i) => i % 2 === 1),
  );
  const merged = path.join(dir, 'merged.json');
  const m = await sharpness(['merge', parts[1]!, parts[0]!, '--out', merged]);
  t.is(m.status, 0, m.stderr);
  t.is(canonicalText(merged), canonicalText(full));
  const missing = await sharpness(['merge', parts[0]!]);
  t.is(missing.status, 2);
  t.regex(missing.stderr, /merge: 9 of 18 items are missing \(items 1, 3, 5, .*\); missing shard 2\/2/);
});

test('killed with SIGKILL midway and rerun: resumes, and the same document as an uninterrupted run', async (t) => {
  const out = path.join(dir, 'killed.json');
  const progress = `${out}.partial.json`;
  const killed = await runAndStop([...volume(), '--workers', '1', '--out', out], progress, 'SIGKILL');
  t.is(killed.signal, 'SIGKILL', `the run ended before it could be killed: ${killed.stderr}`);
  t.false(existsSync(out), 'no result file yet');
  const saved = savedItems(progress);
  t.true(saved >= 3 && saved < ITEMS, `${saved} directions saved`);
  const again = await sharpness([...volume(), '--workers', '1', '--out', out]);
  t.is(again.status, 0, again.stderr);
  t.regex(again.stderr, new RegExp(`volume: resuming from .*killed\\.json\\.partial\\.json: ${saved} of ${ITEMS} directions done`));
  t.false(existsSync(progress), 'the progress file is removed once the result is written');
  t.is(canonicalText(out), canonicalText(full));
});

test('Ctrl-C says where the partial results are and exits 130; another seed refuses them; the same command resumes', async (t) => {
  const out = path.join(dir, 'interrupted.json');
  const progress = `${out}.partial.json`;
  const r = await runAndStop([...volume(), '--workers', '1', '--out', out], progress, 'SIGINT');
  t.is(r.status, 130, r.stderr);
  const m = new RegExp(`sharpness: partial results: (\\S+) \\((\\d+) of ${ITEMS} directions\\); rerun the same command to resume`).exec(r.stderr);
  t.truthy(m, r.stderr);
  t.is(m![1], progress);
  const saved = savedItems(progress);
  t.is(Number(m![2]), saved, 'the message counts what the file holds');
  t.true(saved >= r.savedBeforeSignal && saved < ITEMS);
  const other = await sharpness([...volume(), '--workers', '1', '--out', out, '--seed', '5']);
  t.is(other.status, 2, other.stderr);
  t.regex(other.stderr, /interrupted\.json\.partial\.json holds partial results of a different computation \(.*seed.*0 vs 5/);
  t.true(existsSync(progress), 'a refused rerun leaves the partial results alone');
  const again = await sharpness([...volume(), '--workers', '2', '--out', out, '--quiet']);
  t.is(again.status, 0, again.stderr);
  t.is(canonicalText(out), canonicalText(full));
});

test('usage errors exit 2 with one line naming the option and value, before anything is loaded', async (t) => {
  const missing = path.join(dir, 'no-such-checkpoint');
  for (const [args, re] of [
    [['--delta', '0'], /volume: --delta must be a positive number, got 0/],
    [['--delta', '0.1', '--directions', '0'], /volume: --directions must be an integer in 1..100000, got 0/],
    [['--delta', '0.1', '--tolerance', '2'], /volume: --tolerance must be in \(0, 1\), got 2/],
    [['--delta', '0.1', '--ignore', 'weights'], /volume: --ignore must be a list of bias, bn \(or none\), got weights/],
    [['--delta', '0.1', '--shard', '1/2'], /volume: --shard needs --out/],
  ] as const) {
    // the checkpoint does not exist: the option is refused before it is looked for
    const r = await sharpness(['volume', missing, '--data', 'mnist:test:10', '--backend', 'cpu', ...args]);
    t.is(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('sharpness:'));
    t.is(errors.length, 1, r.stderr);
    t.regex(errors[0]!, re);
  }
});
