/**
 * Issue 15 class 8, leftovers: a write killed midway leaves no temporary copy behind after
 * the next write of the same target, and two runs on one --out never race (the second says
 * the output is in use; a lock of a process that no longer runs is taken over; the lock is
 * gone when the command ends, also after Ctrl-C).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { sharpness, runAndStop } from '../helpers/cli.ts';
import { saveMnistMlp, tempDir } from '../helpers/checkpoints.ts';
import { useBackend } from '../helpers/engine.ts';
import { UsageError } from '../../src/errors.ts';
import { removeLeftovers, writeDirAtomic, writeFileAtomic } from '../../src/io/atomicWrite.ts';
import { lockOutput, lockPathFor } from '../../src/io/outputLock.ts';

let dir = '';
test.before(async () => {
  await useBackend('cpu');
  dir = await tempDir('sharpness-lock-');
});

/** The id of a process that has exited (not reused within the test, in practice). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

/** A process that stays alive until killed. */
function liveProcess() {
  return spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120000)'], { stdio: 'ignore' });
}

const train = (out: string, extra: string[] = []) => [
  'train', '--model', 'mlp', '--data', 'synthetic:blobs:48', '--epochs', '2', '--batch-size', '16', '--backend', 'cpu', '--out', out, ...extra,
];

test('the temporary siblings of a killed write are removed by the next write of the same target; a live writer\'s are kept', async (t) => {
  const d = path.join(dir, 'atomic');
  mkdirSync(d);
  const dead = deadPid();
  const live = liveProcess();
  try {
    // A whole state directory left by a killed run, a half-written file, and a live writer's temp.
    mkdirSync(path.join(d, `.state.tmp-${dead}-0123abcd`));
    writeFileSync(path.join(d, `.state.tmp-${dead}-0123abcd`, 'weights.bin'), Buffer.alloc(4096));
    mkdirSync(path.join(d, `.state.old-${dead}-89abcdef`));
    writeFileSync(path.join(d, `.r.json.tmp-${dead}-deadbeef`), '{"half');
    writeFileSync(path.join(d, `.r.json.tmp-${live.pid}-feedf00d`), '{"busy');
    writeFileSync(path.join(d, `.other.json.tmp-${dead}-deadbeef`), 'not the same target');
    writeFileSync(path.join(d, `.state.tmp-${dead}-nothex00`), 'not our name');
    await writeDirAtomic(path.join(d, 'state'), { 'a.txt': 'x' }, { overwrite: true });
    await writeFileAtomic(path.join(d, 'r.json'), '{}');
    t.deepEqual(readdirSync(d).sort(), [`.other.json.tmp-${dead}-deadbeef`, `.r.json.tmp-${live.pid}-feedf00d`, `.state.tmp-${dead}-nothex00`, 'r.json', 'state'].sort());
    t.deepEqual(removeLeftovers(path.join(d, 'other.json')), [`.other.json.tmp-${dead}-deadbeef`]);
  } finally {
    live.kill('SIGKILL');
  }
});

test('train: a leftover copy of the state from a killed run is gone after the rerun', async (t) => {
  const out = path.join(dir, 'run-leftover');
  const first = await sharpness(train(out));
  t.is(first.status, 0, first.stderr);
  const dead = deadPid();
  const leftover = path.join(out, `.state.tmp-${dead}-0badf00d`);
  mkdirSync(leftover);
  writeFileSync(path.join(leftover, 'weights.bin'), Buffer.alloc(1 << 16));
  const again = await sharpness(train(out));
  t.is(again.status, 0, again.stderr);
  t.false(existsSync(leftover), readdirSync(out).join(', '));
  t.false(readdirSync(out).some((f) => f.startsWith('.')), readdirSync(out).join(', '));
});

test('a second run on an --out held by a running process is refused naming the holder; the lock is gone after the run', async (t) => {
  const out = path.join(dir, 'run-held');
  const live = liveProcess();
  try {
    writeFileSync(lockPathFor(out), JSON.stringify({ pid: live.pid, host: os.hostname(), command: 'train', since: '2025-01-01T00:00:00.000Z' }));
    const r = await sharpness(train(out));
    t.is(r.status, 2, r.stderr);
    t.regex(r.stderr, new RegExp(`train: --out .*run-held is in use by another sharpness process \\(train, pid ${live.pid} on .*\\); wait for it to finish or use another --out`));
    t.false(existsSync(out), 'nothing written');
  } finally {
    live.kill('SIGKILL');
  }
  // The holder is gone: its lock is stale and taken over.
  const r = await sharpness(train(out));
  t.is(r.status, 0, r.stderr);
  t.false(existsSync(lockPathFor(out)), 'the lock is released at the end');
  t.true(existsSync(path.join(out, 'result.json')));
});

test('a stale lock (its process is gone, e.g. killed with SIGKILL) is taken over', async (t) => {
  const out = path.join(dir, 'item.json');
  const ck = await saveMnistMlp(path.join(dir, 'mlp'), 1, 4);
  writeFileSync(lockPathFor(out), JSON.stringify({ pid: deadPid(), host: os.hostname(), command: 'volume', since: '2025-01-01T00:00:00.000Z' }));
  const r = await sharpness(['volume', ck, '--data', 'mnist:test:20', '--delta', '0.1', '--directions', '2', '--bootstrap', '10', '--backend', 'cpu', '--out', out]);
  t.is(r.status, 0, r.stderr);
  t.false(existsSync(lockPathFor(out)));
  t.is(JSON.parse(readFileSync(out, 'utf8')).command, 'volume');
});

test('two trains on the same --out at once: both succeed or the second says the output is in use; never a broken run', async (t) => {
  const out = path.join(dir, 'run-race');
  const [a, b] = await Promise.all([sharpness(train(out)), sharpness(train(out))]);
  for (const r of [a, b]) {
    t.true(r.status === 0 || (r.status === 2 && /is in use by another sharpness process/.test(r.stderr)), `${r.status}: ${r.stderr}`);
  }
  t.true(a.status === 0 || b.status === 0);
  const result = JSON.parse(readFileSync(path.join(out, 'result.json'), 'utf8'));
  t.is(result.result.epochs, 2);
  t.false(existsSync(lockPathFor(out)));
  t.false(readdirSync(out).some((f) => f.startsWith('.')), readdirSync(out).join(', '));
});

test('Ctrl-C releases the lock', async (t) => {
  const ck = await saveMnistMlp(path.join(dir, 'mlp-int'), 1, 8);
  const out = path.join(dir, 'int.json');
  const r = await runAndStop(
    ['volume', ck, '--data', 'mnist:test:100', '--delta', '0.05', '--directions', '8', '--bootstrap', '10', '--backend', 'cpu', '--save-interval', '0', '--workers', '1', '--out', out],
    `${out}.partial.json`,
    'SIGINT',
    2,
  );
  t.is(r.status, 130, r.stderr);
  t.false(existsSync(lockPathFor(out)));
});

test('in one process the lock is re-entrant and released once per take; another live holder is a UsageError', (t) => {
  const out = path.join(dir, 'reentrant.json');
  const r1 = lockOutput('x', out);
  const r2 = lockOutput('x', out);
  r2();
  r2();
  t.true(existsSync(lockPathFor(out)), 'still held by the first take');
  r1();
  t.false(existsSync(lockPathFor(out)));
  const live = liveProcess();
  try {
    writeFileSync(lockPathFor(out), JSON.stringify({ pid: live.pid, host: os.hostname(), command: 'ball', since: 'now' }));
    t.throws(() => lockOutput('hessian', out), { instanceOf: UsageError, message: /hessian: --out .* is in use by another sharpness process \(ball, pid \d+/ });
  } finally {
    live.kill('SIGKILL');
  }
});

test('swa: an --out held by a running process is refused naming the holder, nothing written; the lock is gone after a run', async (t) => {
  // Two checkpoints of one architecture: one training run's final weights and its epoch-1 snapshot.
  const run = path.join(dir, 'swa-run');
  const trained = await sharpness(train(run, ['--save-every', '1']));
  t.is(trained.status, 0, trained.stderr);
  const out = path.join(dir, 'swa-held');
  const swa = ['swa', path.join(run, 'epoch-1'), path.join(run, 'final'), '--data', 'synthetic:blobs:48', '--backend', 'cpu', '--out', out];
  const live = liveProcess();
  try {
    writeFileSync(lockPathFor(out), JSON.stringify({ pid: live.pid, host: os.hostname(), command: 'swa', since: '2025-01-01T00:00:00.000Z' }));
    const r = await sharpness(swa);
    t.is(r.status, 2, r.stderr);
    t.regex(r.stderr, new RegExp(`swa: --out .*swa-held is in use by another sharpness process \\(swa, pid ${live.pid} on .*\\)`));
    t.false(existsSync(out), 'nothing written');
  } finally {
    live.kill('SIGKILL');
  }
  const r = await sharpness(swa);
  t.is(r.status, 0, r.stderr);
  t.true(existsSync(path.join(out, 'model.json')));
  t.false(existsSync(lockPathFor(out)), 'the lock is released at the end');
});

test('run and demo: an --out held by a running process is refused naming the holder, before any work, nothing written', async (t) => {
  const live = liveProcess();
  try {
    for (const [command, args] of [
      ['run', ['run', 'analyses/sam-vs-sgd.json']],
      ['demo', ['demo', '--epochs', '4']],
    ] as const) {
      const out = path.join(dir, `${command}-locked`);
      writeFileSync(lockPathFor(out), JSON.stringify({ pid: live.pid, host: os.hostname(), command, since: '2025-01-01T00:00:00.000Z' }));
      const r = await sharpness([...args, '--backend', 'cpu', '--out', out]);
      t.is(r.status, 2, r.stderr);
      t.regex(r.stderr, new RegExp(`${command}: --out .*${command}-locked is in use by another sharpness process \\(${command}, pid ${live.pid} on .*\\)`));
      t.false(existsSync(out), `${command}: nothing written`);
    }
  } finally {
    live.kill('SIGKILL');
  }
});
