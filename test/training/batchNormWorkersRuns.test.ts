/**
 * `train --method swa` and `swa` with --workers: the BatchNorm recomputes run on worker
 * threads (they do start), and the checkpoints written are the same bytes as with
 * --workers 1; --workers is not recorded and not in the run's fingerprint, so a run resumes
 * (here: rewrites its solutions) with another count. A bad --workers is a UsageError.
 */
import test from 'ava';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { initEngine } from '../../src/engine/backend.ts';
import { UsageError } from '../../src/errors.ts';
import { saveCheckpoint } from '../../src/io/checkpoint.ts';
import { cnn } from '../../src/models/cnn.ts';
import { liveDataWorkers } from '../../src/parallel/DataParallelObjective.ts';
import { startedSyncWorkers } from '../../src/parallel/SyncWorkers.ts';
import { runSwa } from '../../src/training/runSwa.ts';
import { runTrain, type TrainRun } from '../../src/training/runTrain.ts';
import { tempDir } from '../helpers/checkpoints.ts';

const hooks = {
  startEngine: () => initEngine({ backend: 'cpu' }),
  note: () => undefined,
  onInterrupt: () => () => undefined,
};

async function waitForExit(): Promise<number> {
  for (let i = 0; i < 600 && liveDataWorkers() > 0; i++) await new Promise((r) => setTimeout(r, 50));
  return liveDataWorkers();
}

const file = (dir: string, name: string) => readFile(path.join(dir, name));

test.serial('train --method swa: --workers 2 starts workers and writes the same swa and final weights as --workers 1; the run resumes with another count', async (t) => {
  const root = await tempDir();
  const run = (outDir: string, workers: unknown): TrainRun => ({
    model: 'cnn',
    data: 'mnist:train:200',
    evalData: 'mnist:test:40',
    loss: 'auto',
    // 7 batches of 30 per epoch; SWA from epoch 1: BN recomputed after epochs 2 and at the end
    options: { method: 'swa', epochs: 2, batchSize: 30, lr: 0.05, swaStart: 1, swaLr: 0.02 },
    seed: 4,
    outDir,
    recorded: { method: 'swa' },
    workers,
  });
  const one = path.join(root, 'one');
  const two = path.join(root, 'two');
  const started = startedSyncWorkers();
  const a = await runTrain(run(one, 1), hooks);
  t.is(startedSyncWorkers(), started, '--workers 1: no thread');
  const b = await runTrain(run(two, 2), hooks);
  t.is(startedSyncWorkers() - started, 2, '--workers 2: one pool of 2 threads for the whole run');
  t.is(await waitForExit(), 0, 'closed at the end of the run');
  for (const sol of ['swa', 'final', 'sgd-last']) {
    t.true((await file(path.join(one, sol), 'weights.bin')).equals(await file(path.join(two, sol), 'weights.bin')), `${sol}: same weights`);
  }
  t.true(a.summary.solutions['swa']!.sha256 === b.summary.solutions['swa']!.sha256);
  t.deepEqual(a.doc.options, b.doc.options, 'the recorded options do not hold --workers');
  const log = async (dir: string) => JSON.parse((await file(dir, 'train-log.json')).toString('utf8')) as { fingerprint: unknown; epochs: { swa?: unknown }[] };
  t.deepEqual((await log(one)).fingerprint, (await log(two)).fingerprint, 'the fingerprint does not hold --workers');
  t.deepEqual((await log(one)).epochs.map((e) => e.swa), (await log(two)).epochs.map((e) => e.swa), 'same SWA eval scores each epoch');
  // The finished --workers 2 run, rerun with --workers 1: accepted, the same solutions rewritten.
  const again = await runTrain(run(two, 1), hooks);
  t.is(again.summary.solutions['swa']!.sha256, b.summary.solutions['swa']!.sha256);
  await t.throwsAsync(runTrain(run(path.join(root, 'bad'), 0), hooks), { instanceOf: UsageError, message: /--workers must be an integer in 1\.\.1024/ });
});

test.serial('swa: --workers 2 and 3 write the same averaged checkpoint as --workers 1', async (t) => {
  await initEngine({ backend: 'cpu' });
  const root = await tempDir();
  const ckpts: string[] = [];
  for (const seed of [1, 2, 3]) {
    const m = cnn([28, 28, 1], 10, seed);
    const dir = path.join(root, `c${seed}`);
    await saveCheckpoint(m, dir, { method: 'sgd' });
    m.dispose();
    ckpts.push(dir);
  }
  const weights: Buffer[] = [];
  const docs: unknown[] = [];
  for (const workers of [1, 2, 3]) {
    const out = path.join(root, `avg${workers}`);
    const started = startedSyncWorkers();
    const doc = await runSwa({ checkpoints: ckpts, data: 'mnist:train:100', loss: 'auto', batchSize: 16, seed: 0, outDir: out, recorded: {}, workers }, hooks);
    t.is(startedSyncWorkers() - started, workers === 1 ? 0 : workers);
    t.deepEqual(doc.result.batchNormLayers, ['bn1']);
    weights.push(await file(out, 'weights.bin'));
    docs.push(doc.result.train);
  }
  t.true(weights[1]!.equals(weights[0]!), '2 workers: same bytes');
  t.true(weights[2]!.equals(weights[0]!), '3 workers: same bytes');
  t.deepEqual(docs[1], docs[0]);
  t.is(await waitForExit(), 0);
});
