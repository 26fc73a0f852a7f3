import test from 'ava';
import { UsageError } from '../../src/errors.ts';
import { checkAgainstData, hyperparameters, resolveTrainConfig, type TrainOptions } from '../../src/training/trainConfig.ts';

const bad: [TrainOptions, RegExp][] = [
  [{ lr: -0.1 }, /train: --lr must be a finite number > 0, got -0\.1/],
  [{ lr: 'abc' as unknown as number }, /--lr must be a finite number > 0, got abc/],
  [{ momentum: 1 }, /--momentum must be a number in \[0, 1\), got 1/],
  [{ epochs: 0 }, /--epochs must be an integer >= 1, got 0/],
  [{ batchSize: 2.5 }, /--batch-size must be an integer >= 1, got 2\.5/],
  [{ l2: -1 }, /--l2 must be a finite number >= 0, got -1/],
  [{ method: 'adam' }, /--method must be one of sgd, sam, swa, fge, got adam/],
  [{ method: 'sam', p: 1 }, /--p must be a number > 1 or inf, got 1/],
  [{ method: 'sam', p: 0.5 }, /--p must be a number > 1 or inf, got 0\.5/],
  [{ method: 'sam', rho: -0.05 }, /--rho must be a finite number >= 0, got -0\.05/],
  [{ method: 'sam', asamEta: 0.1 }, /--asam-eta needs --adaptive/],
  [{ rho: 0.05 }, /--rho is only used by --method sam, not --method sgd/],
  [{ method: 'swa', swaLr: 0.01, swaStart: 5, cycle: 0 }, /--cycle must be an integer >= 1, got 0/],
  [{ method: 'swa', swaLr: 0.01, swaStart: 10, epochs: 10 }, /--swa-start must be before the last epoch \(an integer in \[0, 9\] for --epochs 10\), got 10/],
  [{ method: 'swa', swaLr: 0.01, swaStart: 12, epochs: 10 }, /--swa-start .* got 12/],
  [{ method: 'swa', swaStart: 2 }, /--method swa needs --swa-lr/],
  [{ method: 'swa', swaLr: 0.01 }, /--method swa needs --swa-start/],
  [{ method: 'fge', swaLr: 0.01 }, /--method fge needs --cycle/],
  [{ method: 'swa', swaLr: -1, swaStart: 1 }, /--swa-lr must be a finite number > 0, got -1/],
  [{ swaLr: 0.01 }, /--swa-lr is only used by --method swa or fge/],
  [{ schedule: 'exp' }, /--schedule must be one of constant, step, cosine, linear or a formula in i, epoch, frac, total, iters, lr, got exp/],
  [{ schedule: 'step', lrMilestones: '5,3', epochs: 10 }, /--lr-milestones must be increasing, got 5,3/],
  [{ schedule: 'step', lrMilestones: '5,30', epochs: 10 }, /--lr-milestones must be an integer in \[1, 10\], got 30/],
  [{ lrFinal: 0.001 }, /--lr-final is only used by --schedule cosine or linear/],
];

for (const [options, message] of bad) {
  test(`refused: ${JSON.stringify(options)}`, (t) => {
    t.throws(() => resolveTrainConfig(options), { instanceOf: UsageError, message });
  });
}

test('defaults and the hyperparameters recorded (p = inf as "inf")', (t) => {
  const c = resolveTrainConfig({});
  t.like(c, { method: 'sgd', epochs: 10, batchSize: 64, lr: 0.05, momentum: 0.9, l2: 0, schedule: 'constant', seed: 0, sam: null, cyclic: null });
  const s = resolveTrainConfig({ method: 'sam', p: 'inf', adaptive: true, momentum: 0 });
  t.deepEqual(s.sam, { rho: 0.05, p: Infinity, adaptive: true, eta: 0 });
  t.is(s.momentum, 0);
  t.like(hyperparameters(s), { method: 'sam', p: 'inf', adaptive: true, rho: 0.05 });
  const w = resolveTrainConfig({ method: 'swa', swaStart: 3, swaLr: 0.01, epochs: 5 });
  t.deepEqual(w.cyclic, { start: 3, swaLr: 0.01, cycle: 1 });
  t.is(w.lrFinal, 0.01);
});

test('checks against the data: a cycle longer than the cyclic phase, too many FGE snapshots', (t) => {
  const c = resolveTrainConfig({ method: 'fge', swaStart: 1, cycle: 50, swaLr: 0.01, epochs: 2, batchSize: 10 });
  t.throws(() => checkAgainstData(c, 100), { message: /--cycle 50 is longer than the 10 iterations after --swa-start 1/ });
  const f = resolveTrainConfig({ method: 'fge', cycle: 1, swaLr: 0.01, epochs: 10, batchSize: 1 });
  t.throws(() => checkAgainstData(f, 100), { message: /would take 1000 FGE snapshots/ });
  t.notThrows(() => checkAgainstData(resolveTrainConfig({ method: 'fge', cycle: 5, swaLr: 0.01, epochs: 2, batchSize: 10 }), 100));
});
