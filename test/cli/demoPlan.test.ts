/**
 * The demo's protocols: the SWA paper's schedule as a formula (checked against its
 * piecewise definition), SWA and FGE over the last quarter of the same budget from the same
 * seed, SAM with rho 0.05, the CNN (BatchNorm) everywhere.
 */
import test from 'ava';
import { demoPlan, spanningSnapshots, swaPaperSchedule } from '../../src/cli/commands/demo.ts';
import { compileLrFormula } from '../../src/training/lrFormula.ts';

test('swaPaperSchedule: lr for the first half, linear to ratio * lr at 90%, then constant', (t) => {
  const f = compileLrFormula(swaPaperSchedule(0.01));
  const at = (frac: number) => f.at({ i: 1, epoch: 1, frac, total: 100, iters: 10, lr: 0.05 });
  t.is(at(0), 0.05);
  t.is(at(0.5), 0.05);
  t.true(Math.abs(at(0.7) - 0.05 * (1 - 0.99 * 0.5)) < 1e-12);
  t.true(Math.abs(at(0.9) - 0.0005) < 1e-12);
  t.true(Math.abs(at(0.99) - 0.0005) < 1e-12);
});

test('demoPlan: one seed, the CNN, equal budgets; SWA and FGE over the last quarter', (t) => {
  const p = demoPlan(12, 4000);
  t.is(p.swaStart, 9);
  t.is(p.cycle, 32, 'half of the 63 iterations per epoch');
  t.deepEqual(p.runs.map((r) => r.name), ['sgd', 'sam', 'swa', 'fge']);
  for (const r of p.runs) {
    t.is(r.args.model, 'cnn');
    t.is(r.args.epochs, 12);
    t.is(r.args.lr, 0.05);
    t.is(r.args.l2, 2.5e-4, 'weight decay 5e-4 in PyTorch terms');
    t.false('seed' in r.args, 'the seed is the demo\'s own, the same for every run');
  }
  const [sgd, sam, swa, fge] = p.runs as [typeof p.runs[0], typeof p.runs[0], typeof p.runs[0], typeof p.runs[0]];
  t.is(sam.args.rho, 0.05);
  t.is(sam.args.schedule, sgd.args.schedule);
  t.is(swa.args.swaLr, 0.05, 'a high constant rate');
  t.is(swa.args.cycle, 1);
  t.is(swa.args.saveEvery, 9, 'the start of averaging is kept for Figure 1');
  t.is(fge.args.swaStart, 9);
  t.is(fge.args.cycle, 32);
});

test('spanningSnapshots: first, middle and last', (t) => {
  t.deepEqual(spanningSnapshots(5), [1, 3, 5]);
  t.deepEqual(spanningSnapshots(3), [1, 2, 3]);
  t.deepEqual(spanningSnapshots(4), [1, 3, 4]);
  t.deepEqual(spanningSnapshots(2), []);
});
