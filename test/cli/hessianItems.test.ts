/**
 * `sharpness hessian` as items, run the way a user runs it: shards merged, worker threads,
 * and a run killed midway (SIGKILL, or Ctrl-C which says where the partial results are and
 * exits 130) then rerun, all give the document of one uninterrupted run, byte for byte
 * apart from cost.seconds. Tiny on purpose: a 784-8-10 MLP on 100 samples, cpu backend.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { sharpness, canonicalText, runAndStop } from '../helpers/cli.ts';
import { saveMnistMlp, tempDir } from '../helpers/checkpoints.ts';
import { useBackend } from '../helpers/engine.ts';

let dir = '';
let ck = '';
let full = '';

// 1 eigen item + 16 probes + 4 SLQ runs + 2 layers; --save-interval 0 saves after every item.
const ITEMS = 23;
const hessian = () => [
  'hessian', ck, '--data', 'mnist:test:100', '--backend', 'cpu', '--top-k', '2', '--trace', '--probes', '16',
  '--density', '--runs', '4', '--steps', '6', '--grid-points', '40', '--per-layer', '--save-interval', '0',
];

test.before(async () => {
  await useBackend('cpu');
  dir = await tempDir('sharpness-hessian-');
  ck = await saveMnistMlp(path.join(dir, 'mlp'), 1, 8);
  full = path.join(dir, 'full.json');
  const r = await sharpness([...hessian(), '--workers', '1', '--out', full, '--quiet']);
  if (r.status !== 0) throw new Error(`uninterrupted run failed: ${r.stderr}`);
});

test('the single run: the report with every part, its HVPs in the cost', (t) => {
  const doc = JSON.parse(readFileSync(full, 'utf8'));
  t.is(doc.schema, 'sharpness/hessian@1');
  const r = doc.result;
  t.is(r.eigenvalues.length, 2);
  t.is(r.trace.samples, 16);
  t.is(r.density.runs, 4);
  t.is(r.perLayer.length, 2);
  t.is(doc.cost.hvps, r.totalHvps);
  t.is(doc.options.probes, 16);
  t.is(doc.options.shard, undefined, 'how a run was split is not part of its result');
});

test('--shard 1/2 and 2/2 merged equal the single run', async (t) => {
  const parts = [1, 2].map((k) => path.join(dir, `part${k}.json`));
  const runs = await Promise.all(parts.map((p, k) => sharpness([...hessian(), '--shard', `${k + 1}/2`, '--workers', '1', '--out', p, '--quiet'])));
  runs.forEach((r) => t.is(r.status, 0, r.stderr));
  const shard1 = JSON.parse(readFileSync(parts[0]!, 'utf8'));
  t.is(shard1.schema, 'sharpness/hessian-shard@1');
  t.deepEqual(
    shard1.result.items.map((x: { i: number }) => x.i),
    Array.from({ length: ITEMS }, (_, i) => i).filter((i) => i % 2 === 0),
  );
  t.is(shard1.result.items[0].record.kind, 'eigen', 'item 0 is the eigen-solve');
  const merged = path.join(dir, 'merged.json');
  const m = await sharpness(['merge', parts[1]!, parts[0]!, '--out', merged]);
  t.is(m.status, 0, m.stderr);
  t.is(canonicalText(merged), canonicalText(full));
  t.regex(m.stdout, /^hessian \(lanczos, largest\)/);
});

test('--workers 2 equals --workers 1', async (t) => {
  const out = path.join(dir, 'workers2.json');
  const r = await sharpness([...hessian(), '--workers', '2', '--out', out]);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stderr, new RegExp(`hessian: ${ITEMS} items to compute on 2 worker threads`));
  t.is(canonicalText(out), canonicalText(full));
});

test('killed with SIGKILL midway and rerun: resumes, and the same document as an uninterrupted run', async (t) => {
  const out = path.join(dir, 'killed.json');
  const progress = `${out}.partial.json`;
  const killed = await runAndStop([...hessian(), '--workers', '1', '--out', out], progress, 'SIGKILL');
  t.is(killed.signal, 'SIGKILL', `the run ended before it could be killed: ${killed.stderr}`);
  t.false(existsSync(out), 'no result file yet');
  const saved = (JSON.parse(readFileSync(progress, 'utf8')) as { items: unknown[] }).items.length;
  t.true(saved >= 3 && saved < ITEMS, `${saved} items saved`);
  const again = await sharpness([...hessian(), '--out', out, '--workers', '2']);
  t.is(again.status, 0, again.stderr);
  t.regex(again.stderr, new RegExp(`hessian: resuming from .*killed\\.json\\.partial\\.json: ${saved} of ${ITEMS} items done`));
  t.false(existsSync(progress), 'the progress file is removed once the result is written');
  t.is(canonicalText(out), canonicalText(full));
});

test('Ctrl-C says where the partial results are and exits 130; another computation refuses them; the same command resumes', async (t) => {
  const out = path.join(dir, 'interrupted.json');
  const progress = `${out}.partial.json`;
  const r = await runAndStop([...hessian(), '--workers', '1', '--out', out], progress, 'SIGINT');
  t.is(r.status, 130, r.stderr);
  const m = new RegExp(`sharpness: partial results: (\\S+) \\((\\d+) of ${ITEMS} items\\); rerun the same command to resume`).exec(r.stderr);
  t.truthy(m, r.stderr);
  t.is(m![1], progress);
  const saved = (JSON.parse(readFileSync(progress, 'utf8')) as { items: unknown[] }).items.length;
  t.is(Number(m![2]), saved, 'the message counts what the file holds');
  t.true(saved >= r.savedBeforeSignal);
  const other = await sharpness([...hessian(), '--out', out, '--tol', '0.01']);
  t.is(other.status, 2, other.stderr);
  t.regex(other.stderr, /interrupted\.json\.partial\.json holds partial results of a different computation \(options\.tol: 0\.001 vs 0\.01; saved vs this command\)/);
  t.true(existsSync(progress), 'a refused rerun leaves the partial results alone');
  const again = await sharpness([...hessian(), '--out', out, '--workers', '1']);
  t.is(again.status, 0, again.stderr);
  t.regex(again.stderr, new RegExp(`resuming from .*interrupted\\.json\\.partial\\.json: ${saved} of ${ITEMS} items done`));
  t.is(canonicalText(out), canonicalText(full));
});

test('an eigen-solve that does not converge is said after the result', async (t) => {
  const r = await sharpness(['hessian', ck, '--data', 'mnist:test:50', '--backend', 'cpu', '--top-k', '2', '--max-iter', '2', '--workers', '1']);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /NOT converged after/);
  t.regex(r.stderr, /hessian: NOT converged within --max-iter 2 \(residuals \S+, \S+\); raise --max-iter or --tol/);
});

test('bad options exit 2 with one line naming the option and the value, before anything is loaded', async (t) => {
  const missing = path.join(dir, 'no-such-checkpoint');
  for (const [args, re] of [
    [['--samples', '0'], /hessian: --samples must be an integer in 1..1000000, got 0/],
    [['--probes', '0', '--trace'], /hessian: --probes must be an integer in 1..100000, got 0/],
    [['--trace-method', 'hutch++', '--probes', '2'], /hessian: --probes must be an integer in 3..100000, got 2/],
    [['--shard', '3/2', '--out', path.join(dir, 'x.json')], /hessian: --shard must be k\/n with integers 1 <= k <= n \(e\.g\. 2\/4\), got 3\/2/],
    [['--shard', '1/2'], /hessian: --shard needs --out/],
    [['--workers', '0'], /--workers must be an integer in 1..1024 \(worker threads\), got 0/],
  ] as const) {
    const r = await sharpness(['hessian', missing, '--data', 'mnist:test:10', '--backend', 'cpu', ...args]);
    t.is(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('sharpness:'));
    t.is(errors.length, 1, r.stderr);
    t.regex(errors[0]!, re);
  }
  const tooMany = await sharpness(['hessian', ck, '--data', 'mnist:test:10', '--backend', 'cpu', '--top-k', '7000', '--max-iter', '8000']);
  t.is(tooMany.status, 2, tooMany.stderr);
  t.regex(tooMany.stderr, /hessian: --top-k must be at most the number of parameters \(6370\), got 7000/);
});
