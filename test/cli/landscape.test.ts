/**
 * `sharpness landscape` and `sharpness merge` as a user runs them: a run killed midway
 * (SIGKILL, or Ctrl-C which says where the partial results are and exits 130) and rerun
 * ends with the same document as an uninterrupted run; shards merged equal a single run;
 * mismatched progress files and shards are refused; usage errors exit 2 on one line.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { sharpness, canonicalText, runAndStop } from '../helpers/cli.ts';
import { saveMnistMlp, tempDir } from '../helpers/checkpoints.ts';
import { useBackend } from '../helpers/engine.ts';

let dir = '';
let ck1 = '';
let ck2 = '';
let ck3 = '';
let wide = '';
let full = '';

// A random plane of 9 x 9 points (+ the checkpoint) on the cpu backend: a few seconds, so a
// run can be stopped midway; --save-interval 0 saves progress after every point.
const plane = () => ['landscape', ck1, '--random-plane', '--range', '-1:1:9', '--data', 'mnist:test:400', '--eval-data', 'mnist:test:100', '--backend', 'cpu', '--save-interval', '0'];
const ITEMS = 82;

test.before(async () => {
  await useBackend('cpu');
  dir = await tempDir('sharpness-landscape-');
  ck1 = await saveMnistMlp(path.join(dir, 'a'), 1, 12);
  ck2 = await saveMnistMlp(path.join(dir, 'b'), 2, 12);
  ck3 = await saveMnistMlp(path.join(dir, 'c'), 3, 12);
  wide = await saveMnistMlp(path.join(dir, 'wide'), 4, 13);
  full = path.join(dir, 'full.json');
  const r = await sharpness([...plane(), '--out', full, '--quiet']);
  if (r.status !== 0) throw new Error(`uninterrupted run failed: ${r.stderr}`);
});

test('killed with SIGKILL midway and rerun: the same document as an uninterrupted run', async (t) => {
  const out = path.join(dir, 'killed.json');
  const progress = `${out}.partial.json`;
  // Killed while two worker threads compute; resumed on one.
  const killed = await runAndStop([...plane(), '--out', out, '--workers', '2'], progress, 'SIGKILL', 5);
  t.is(killed.signal, 'SIGKILL', `the run ended before it could be killed: ${killed.stderr}`);
  t.false(existsSync(out), 'no result file yet');
  const saved = (JSON.parse(readFileSync(progress, 'utf8')) as { items: unknown[] }).items.length;
  t.true(saved >= 5 && saved < ITEMS, `${saved} items saved`);
  const again = await sharpness([...plane(), '--out', out]);
  t.is(again.status, 0, again.stderr);
  t.regex(again.stderr, new RegExp(`resuming from .*killed\\.json\\.partial\\.json: ${saved} of ${ITEMS} items done`));
  t.regex(again.stderr, new RegExp(`landscape: ${ITEMS - saved}/${ITEMS - saved} items in`));
  t.false(existsSync(progress), 'the progress file is removed once the result is written');
  t.is(canonicalText(out), canonicalText(full));
  // A third run finds the finished result and computes nothing.
  const third = await sharpness([...plane(), '--out', out, '--json']);
  t.is(third.status, 0, third.stderr);
  t.regex(third.stderr, /already holds this result; nothing to compute/);
  t.is(JSON.parse(third.stdout).result.fingerprint, JSON.parse(readFileSync(full, 'utf8')).result.fingerprint);
});

test('--workers 2 and --workers 3 give the document of one thread, byte for byte', async (t) => {
  for (const workers of ['2', '3']) {
    const out = path.join(dir, `workers${workers}.json`);
    const r = await sharpness([...plane(), '--out', out, '--workers', workers]);
    t.is(r.status, 0, r.stderr);
    t.regex(r.stderr, new RegExp(`landscape: ${ITEMS} items to compute on ${workers} worker threads`));
    t.is(canonicalText(out), canonicalText(full));
  }
  const bad = await sharpness([...plane(), '--workers', '0']);
  t.is(bad.status, 2);
  t.regex(bad.stderr, /^sharpness: --workers must be an integer in 1..1024 \(worker threads\), got 0$/m);
});

test('Ctrl-C says where the partial results are and exits 130; another landscape refuses them; the same command resumes', async (t) => {
  const out = path.join(dir, 'interrupted.json');
  const progress = `${out}.partial.json`;
  const r = await runAndStop([...plane(), '--out', out], progress, 'SIGINT', 5);
  t.is(r.status, 130, r.stderr);
  const m = /sharpness: partial results: (\S+) \((\d+) of 82 items\); rerun the same command to resume/.exec(r.stderr);
  t.truthy(m, r.stderr);
  t.is(m![1], progress);
  const saved = (JSON.parse(readFileSync(progress, 'utf8')) as { items: unknown[] }).items.length;
  t.is(Number(m![2]), saved, 'the message counts what the file holds');
  t.true(saved >= r.savedBeforeSignal);
  const other = await sharpness([...plane(), '--out', out, '--seed', '5']);
  t.is(other.status, 2, other.stderr);
  t.regex(other.stderr, /interrupted\.json\.partial\.json holds partial results of a different computation \(spec\.seed: 0 vs 5; saved vs this command\)/);
  t.true(existsSync(progress), 'a refused rerun leaves the partial results alone');
  const again = await sharpness([...plane(), '--out', out, '--quiet']);
  t.is(again.status, 0, again.stderr);
  t.is(canonicalText(out), canonicalText(full));
});

test('shards 1/3, 2/3, 3/3 merged equal a single run; merge refuses missing shards and other landscapes', async (t) => {
  const parts = [1, 2, 3].map((k) => path.join(dir, `part${k}.json`));
  const runs = await Promise.all(parts.map((p, k) => sharpness([...plane(), '--shard', `${k + 1}/3`, '--out', p, '--quiet'])));
  runs.forEach((r) => t.is(r.status, 0, r.stderr));
  const shard2 = JSON.parse(readFileSync(parts[1]!, 'utf8'));
  t.is(shard2.schema, 'sharpness/landscape-shard@2');
  t.deepEqual(
    shard2.result.items.map((x: { i: number }) => x.i),
    Array.from({ length: ITEMS }, (_, i) => i).filter((i) => i % 3 === 1),
  );
  const merged = path.join(dir, 'merged.json');
  const m = await sharpness(['merge', parts[2]!, parts[0]!, parts[1]!, '--out', merged]);
  t.is(m.status, 0, m.stderr);
  t.is(canonicalText(merged), canonicalText(full));
  const missing = await sharpness(['merge', parts[0]!, parts[2]!, '--out', path.join(dir, 'never.json')]);
  t.is(missing.status, 2);
  t.regex(missing.stderr, /sharpness: merge: 27 of 82 items are missing \(items 1, 4, 7, .*\); missing shard 2\/3/);
  const dup = await sharpness(['merge', parts[0]!, parts[1]!, parts[1]!, parts[2]!]);
  t.is(dup.status, 2);
  t.regex(dup.stderr, /part2\.json is given twice/);
  const otherPart = path.join(dir, 'other2.json');
  const o = await sharpness([...plane(), '--seed', '3', '--shard', '2/3', '--out', otherPart, '--quiet']);
  t.is(o.status, 0, o.stderr);
  const mixed = await sharpness(['merge', parts[0]!, otherPart, parts[2]!]);
  t.is(mixed.status, 2);
  t.regex(mixed.stderr, /other2\.json and .*part1\.json are shards of different computations \(spec\.seed: 3 vs 0/);
  const notShard = await sharpness(['merge', full]);
  t.is(notShard.status, 2);
  t.regex(notShard.stderr, /full\.json is not a shard document \(schema sharpness\/landscape@1/);
});

test('line through two checkpoints: alpha = 0 and 1 reproduce `evaluate` on each; plane through three reports their coordinates', async (t) => {
  const line = await sharpness(['landscape', ck1, '--to', ck2, '--range', '-0.5:1.5:5', '--data', 'mnist:test:200', '--backend', 'cpu', '--json', '--quiet']);
  t.is(line.status, 0, line.stderr);
  const doc = JSON.parse(line.stdout);
  t.is(doc.schema, 'sharpness/landscape@1');
  const r = doc.result;
  t.is(r.kind, 'line');
  t.deepEqual(r.axes.x, { name: 'alpha', values: [-0.5, 0, 0.5, 1, 1.5] });
  t.deepEqual(
    r.checkpoints.map((c: { x: number; path: string }) => [c.x, c.path]),
    [
      [0, ck1],
      [1, ck2],
    ],
  );
  const ev = await sharpness(['evaluate', ck1, ck2, '--data', 'mnist:test:200', '--backend', 'cpu', '--json', '--quiet']);
  const losses = JSON.parse(ev.stdout).result.models.map((m: { loss: number }) => m.loss);
  t.deepEqual([r.points[1].trainLoss, r.points[3].trainLoss], losses);
  t.deepEqual([r.checkpoints[0].trainLoss, r.checkpoints[1].trainLoss], losses);
  t.true(Math.abs(r.points[3].distance - r.line.length) < 1e-9);
  t.is(doc.checkpoints.length, 2);

  const p = await sharpness(['landscape', ck1, '--plane', `${ck2},${ck3}`, '--range', 'auto:3', '--data', 'mnist:test:200', '--backend', 'cpu', '--json', '--quiet']);
  t.is(p.status, 0, p.stderr);
  const pr = JSON.parse(p.stdout).result;
  t.is(pr.points.length, 9);
  t.deepEqual(pr.checkpoints.map((c: { label: string }) => c.label), ['a', 'b', 'c']);
  t.deepEqual([pr.checkpoints[0].x, pr.checkpoints[0].y, pr.checkpoints[1].y], [0, 0, 0]);
  t.true(pr.checkpoints[1].x > 0 && pr.checkpoints[2].y > 0);
  t.deepEqual(pr.checkpoints.map((c: { trainLoss: number }) => c.trainLoss).slice(0, 2), losses);
});

test('usage errors exit 2 with one line naming the problem, before any computation', async (t) => {
  for (const [args, re] of [
    [['landscape', ck1, '--rays', '2', '--range', '1:0:5', '--data', 'mnist:test:10'], /--range must be a:b:n .* got 1:0:5/],
    [['landscape', ck1, '--rays', '2', '--shard', '3/2', '--out', path.join(dir, 'x.json'), '--data', 'mnist:test:10'], /--shard must be k\/n .* got 3\/2/],
    [['landscape', ck1, '--rays', '2', '--shard', '1/2', '--data', 'mnist:test:10'], /--shard needs --out/],
    [['landscape', ck1, '--data', 'mnist:test:10'], /choose what to draw: --rays N, --to CKPT2, --plane CKPT2,CKPT3 or --random-plane/],
    [['landscape', ck1, '--to', wide, '--data', 'mnist:test:10'], /wide and a have different architectures \(weight #0 \(\S+\) has shape \[784,13\] in wide but \[784,12\] in a\)/],
    [['landscape', ck1, '--to', ck2, '--norm', 'filter', '--data', 'mnist:test:10'], /--norm and --ignore apply to random directions/],
    [['landscape', ck1, '--random-plane', '--bn', 'sometimes', '--data', 'mnist:test:10'], /--bn/],
    [['landscape', ck1, '--rays', '2', '--data', 'mnist:test:10', '--out', path.join(ck1, 'r.json')], /inside the input checkpoint/],
    [['merge', path.join(dir, 'does-not-exist.json')], /does-not-exist\.json does not exist/],
  ] as const) {
    const r = await sharpness([...args, '--backend', 'cpu']);
    t.is(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('sharpness:'));
    t.is(errors.length, 1, r.stderr);
    t.regex(errors[0]!, re);
  }
});
