import { spawn } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { sharpness, lines, BIN, ROOT, STACK_FRAME } from '../helpers/cli.ts';
import { tempDir } from '../helpers/checkpoints.ts';

let dir = '';
test.before(async () => {
  dir = await tempDir('sharpness-cli-train-');
});

const base = ['--model', 'mlp', '--data', 'mnist:train:300', '--eval-data', 'mnist:test:100', '--epochs', '2', '--batch-size', '50', '--backend', 'wasm'];
const exists = (p: string) => access(p).then(() => true, () => false);

test('train with each method from the CLI: solutions, logs, sidecars and a result document', async (t) => {
  const runs: [string, string[]][] = [
    ['sgd', ['--method', 'sgd', '--save-every', '1', '--schedule', 'cosine']],
    ['sam', ['--method', 'sam', '--rho', '0.05', '--p', 'inf', '--adaptive']],
    ['swa', ['--method', 'swa', '--swa-start', '1', '--swa-lr', '0.01', '--cycle', '2']],
    ['fge', ['--method', 'fge', '--swa-start', '1', '--swa-lr', '0.005', '--cycle', '3']],
  ];
  const results = await Promise.all(runs.map(([name, args]) => sharpness(['train', ...base, ...args, '--out', path.join(dir, name), '--json'])));
  for (const [k, [name]] of runs.entries()) {
    const r = results[k]!;
    t.is(r.status, 0, `${name}: ${r.stderr}`);
    const doc = JSON.parse(r.stdout);
    t.is(doc.schema, 'sharpness/train@1');
    t.is(doc.result.method, name);
    t.is(doc.result.iterations, 12);
    t.is(doc.data.spec, 'mnist:train:300');
    t.is(doc.evalData.spec, 'mnist:test:100');
    t.true(doc.result.solutions.final.eval.accuracy > 0.3, `${name} learned something`);
    t.regex(r.stderr, /train: epoch 1\/2 done in .*train loss .*eval loss/);
    t.true(await exists(path.join(dir, name, 'final', 'model.json')));
    t.true(await exists(path.join(dir, name, 'state', 'epoch-2', 'state.json')));
    t.false(await exists(path.join(dir, name, 'state', 'epoch-1')), 'older states are removed');
    t.deepEqual(JSON.parse(await readFile(path.join(dir, name, 'result.json'), 'utf8')).result, doc.result);
    const log = JSON.parse(await readFile(path.join(dir, name, 'train-log.json'), 'utf8'));
    t.is(log.epochs.length, 2);
    t.is(log.iterations.lr.length, 12);
    t.true(log.done);
    const side = JSON.parse(await readFile(path.join(dir, name, 'final', 'sharpness.json'), 'utf8'));
    t.is(side.method, name);
    t.is(side.epoch, 2);
    t.is(side.seed, 0);
    t.is(typeof side.metrics.evalAccuracy, 'number');
  }
  t.true(await exists(path.join(dir, 'sgd', 'epoch-1', 'model.json')));
  t.true(await exists(path.join(dir, 'swa', 'swa', 'model.json')));
  t.true(await exists(path.join(dir, 'swa', 'sgd-last', 'model.json')));
  const fge = JSON.parse(results[3]!.stdout).result;
  t.is(fge.snapshots.length, 2); // 6 iterations after swa-start, cycle 3
  t.is(fge.solutions.ensemble.members, 2);
  // evaluate --ensemble scores the snapshots the same way
  const ev = await sharpness(['evaluate', ...fge.snapshots, '--data', 'mnist:test:100', '--ensemble', '--json', '--backend', 'wasm']);
  t.is(ev.status, 0, ev.stderr);
  const ens = JSON.parse(ev.stdout).result.ensemble;
  t.true(Math.abs(ens.loss - fge.solutions.ensemble.eval.loss) < 1e-5);
  t.is(ens.accuracy, fge.solutions.ensemble.eval.accuracy);
});

test('--init starts from a checkpoint (recorded as parent); --model path/model.json takes a topology; a mismatch is refused', async (t) => {
  const src = path.join(dir, 'init-src');
  const first = await sharpness(['train', ...base, '--epochs', '1', '--out', src]);
  t.is(first.status, 0, first.stderr);
  const init = path.join(src, 'final');
  const r = await sharpness(['train', '--init', init, '--data', 'mnist:train:300', '--epochs', '1', '--batch-size', '50', '--method', 'sam', '--backend', 'wasm', '--out', path.join(dir, 'from-init'), '--json']);
  t.is(r.status, 0, r.stderr);
  const side = JSON.parse(await readFile(path.join(dir, 'from-init', 'final', 'sharpness.json'), 'utf8'));
  t.is(side.parent, path.resolve(init));
  t.is(side.method, 'sam');
  const topo = await sharpness(['train', '--model', path.join(init, 'model.json'), '--init', init, '--data', 'mnist:train:300', '--epochs', '1', '--batch-size', '50', '--backend', 'wasm', '--out', path.join(dir, 'topology')]);
  t.is(topo.status, 0, topo.stderr);
  const bad = await sharpness(['train', '--model', 'cnn', '--init', init, '--data', 'mnist:train:300', '--epochs', '1', '--backend', 'wasm', '--out', path.join(dir, 'bad')]);
  t.is(bad.status, 2, bad.stderr);
  t.regex(bad.stderr, /--init does not fit --model: weight #0 is conv1\/kernel in --model cnn but dense1\/kernel in --init/);
  const inside = await sharpness(['train', '--init', init, '--data', 'mnist:train:300', '--backend', 'wasm', '--out', path.join(init, 'x')]);
  t.is(inside.status, 2);
  t.regex(inside.stderr, /inside the input checkpoint/);
});

const usage: [string[], RegExp][] = [
  [['--lr', '-0.5'], /--lr must be a finite number > 0, got -0\.5/],
  [['--lr', 'fast'], /--lr must be a finite number > 0, got fast/],
  [['--method', 'sam', '--p', '1'], /--p must be a number > 1 or inf, got 1/],
  [['--method', 'swa', '--swa-start', '1', '--swa-lr', '0.01', '--cycle', '0'], /--cycle must be an integer >= 1, got 0/],
  [['--method', 'swa', '--swa-start', '5', '--swa-lr', '0.01'], /--swa-start must be before the last epoch \(an integer in \[0, 1\] for --epochs 2\), got 5/],
  [['--rho', '0.1'], /--rho is only used by --method sam/],
];

for (const [args, message] of usage) {
  test(`usage error, exit 2, one line: ${args.join(' ')}`, async (t) => {
    const r = await sharpness(['train', ...base, ...args, '--out', path.join(dir, 'never')]);
    t.is(r.status, 2, r.stderr);
    const err = lines(r.stderr).filter((l) => !l.startsWith('engine:'));
    t.is(err.length, 1, r.stderr);
    t.regex(err[0]!, message);
    t.notRegex(r.stderr, STACK_FRAME);
    t.false(await exists(path.join(dir, 'never')));
  });
}

test('train without --out or without a model is a usage error', async (t) => {
  const r = await sharpness(['train', '--model', 'mlp', '--data', 'mnist:train:10']);
  t.is(r.status, 2);
  t.regex(r.stderr, /--out DIR is required/);
  const r2 = await sharpness(['train', '--data', 'mnist:train:10', '--out', path.join(dir, 'x')]);
  t.is(r2.status, 2);
  t.regex(r2.stderr, /give --model .* or --init CKPT/);
});

test('Ctrl-C after an epoch says where the state is (exit 130); rerunning the same command resumes and finishes', async (t) => {
  const out = path.join(dir, 'interrupted');
  const args = ['train', '--model', 'cnn', '--data', 'mnist:train:1000', '--epochs', '3', '--backend', 'wasm', '--out', out];
  const r = await new Promise<{ status: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let sent = false;
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      if (!sent && /epoch 1\/3 done/.test(stderr)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stderr });
    });
  });
  t.is(r.status, 130, r.stderr);
  t.regex(r.stderr, /sharpness: interrupted/);
  t.regex(r.stderr, /training state after epoch ([12]) of 3: .*state\/epoch-\1; rerun the same command to resume/);
  const again = await sharpness(args, { timeoutMs: 120_000 });
  t.is(again.status, 0, again.stderr);
  t.regex(again.stderr, /train: resuming .* after epoch [12] of 3/);
  t.regex(again.stdout, /resumed after epoch [12]/);
});
