import test from 'ava';
import { baseLr, cyclicLr, cyclePosition, endsCycle, lrAt, lrSequence, Schedule, type LrPlan } from '../../src/training/schedules.ts';
import { lrPlanFor, resolveTrainConfig } from '../../src/training/trainConfig.ts';

const a1 = 0.05;
const a2 = 0.001;

/** a(i) exactly as Izmailov et al. (2018) write it. */
function paper(i: number, c: number): number {
  const t = (((i - 1) % c) + 1) / c;
  return (1 - t) * a1 + t * a2;
}

test('cyclic LR: C = 1 is the constant a2', (t) => {
  for (let i = 1; i <= 10; i++) t.is(cyclicLr(i, a1, a2, 1), a2);
});

test('cyclic LR: C = 4 equals a(i) = (1 - t(i)) a1 + t(i) a2, t(i) = (mod(i-1, 4) + 1) / 4', (t) => {
  const expected = [0.75 * a1 + 0.25 * a2, 0.5 * a1 + 0.5 * a2, 0.25 * a1 + 0.75 * a2, a2];
  for (let i = 1; i <= 12; i++) {
    t.is(cyclicLr(i, a1, a2, 4), paper(i, 4));
    t.true(Math.abs(cyclicLr(i, a1, a2, 4) - expected[(i - 1) % 4]!) < 1e-15);
    t.is(endsCycle(i, 4), i % 4 === 0);
  }
  t.is(cyclePosition(4, 4), 1);
  t.is(cyclePosition(5, 4), 0.25);
});

test('base schedules: constant, step, cosine and linear end points and midpoints', (t) => {
  const spec = { lr: 0.1, final: 0.001, milestones: [5, 8], gamma: 0.1, total: 10 };
  for (let i = 1; i <= 10; i++) t.is(baseLr({ ...spec, schedule: Schedule.constant }, i), 0.1);
  t.is(baseLr({ ...spec, schedule: Schedule.step }, 5), 0.1);
  t.true(Math.abs(baseLr({ ...spec, schedule: Schedule.step }, 6) - 0.01) < 1e-15);
  t.true(Math.abs(baseLr({ ...spec, schedule: Schedule.step }, 9) - 0.001) < 1e-15);
  t.is(baseLr({ ...spec, schedule: Schedule.cosine }, 1), 0.1);
  t.true(Math.abs(baseLr({ ...spec, schedule: Schedule.cosine }, 6) - (0.001 + 0.099 / 2)) < 1e-15);
  t.is(baseLr({ ...spec, schedule: Schedule.linear }, 1), 0.1);
  t.true(Math.abs(baseLr({ ...spec, schedule: Schedule.linear }, 10) - 0.001) < 1e-15);
  t.throws(() => baseLr({ ...spec, schedule: Schedule.linear }, 11), { message: /iteration/ });
});

test('the plan: base schedule up to the cyclic phase, then a(j) with j counted from 1 within it', (t) => {
  const plan: LrPlan = {
    base: { schedule: Schedule.linear, lr: a1, final: a2, milestones: [], gamma: 0.1, total: 6 },
    cyclic: { start: 6, a1, a2, cycle: 4 },
    total: 14,
  };
  const seq = lrSequence(plan);
  t.is(seq.length, 14);
  for (let i = 1; i <= 6; i++) t.is(seq[i - 1], baseLr(plan.base, i));
  t.true(Math.abs(seq[5]! - a2) < 1e-15, 'the linear base schedule reaches a2 at swa-start');
  for (let i = 7; i <= 14; i++) t.is(seq[i - 1], paper(i - 6, 4));
  t.is(lrAt(plan, 10), a2);
});

test('lrPlanFor: epochs become iterations; swa\'s base schedule ends at --swa-start and defaults --lr-final to --swa-lr', (t) => {
  const c = resolveTrainConfig({ method: 'swa', epochs: 4, batchSize: 10, lr: a1, swaStart: 2, swaLr: a2, cycle: 3, schedule: 'cosine' });
  const plan = lrPlanFor(c, 95); // 10 batches per epoch
  t.is(plan.total, 40);
  t.is(plan.base.total, 20);
  t.is(plan.base.final, a2);
  t.deepEqual(plan.cyclic, { start: 20, a1, a2, cycle: 3 });
  const s = resolveTrainConfig({ epochs: 10, schedule: 'step' });
  // default milestones at 50% and 75% of the epochs (5 and 8), at 2 batches of 64 per epoch of 100 samples
  t.deepEqual(lrPlanFor(s, 100).base.milestones, [10, 16]);
});
