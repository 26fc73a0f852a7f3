/**
 * Learning-rate schedules as pure functions of the iteration number. Iterations are
 * counted from 1 (the first minibatch step is i = 1), as in Izmailov et al. (2018).
 *
 * Base schedules, over a horizon of `total` iterations:
 *   constant  a(i) = lr
 *   step      a(i) = lr * gamma^k, k = number of milestones m (in iterations) with i > m
 *   cosine    a(i) = final + (lr - final) (1 + cos(pi (i - 1) / total)) / 2
 *   linear    a(i) = lr + (final - lr) (i - 1) / (total - 1)   (lr at i = 1, final at i = total)
 *
 * SWA / FGE's cyclic schedule (Izmailov et al. 2018, eq. 1), with j counted from 1 within
 * the cyclic phase:
 *   a(j) = (1 - t(j)) a1 + t(j) a2,   t(j) = (mod(j - 1, c) + 1) / c
 * so each cycle of c iterations falls linearly from just below a1 to exactly a2 at its last
 * iteration (j = c, 2c, ...: the LR minima, where SWA averages and FGE takes snapshots);
 * c = 1 gives the constant LR a2.
 *
 * A base schedule may also be a formula in the iteration, the epoch and the fraction of the
 * horizon (see lrFormula.ts).
 */
import { UsageError } from '../errors.ts';
import type { LrFormula } from './lrFormula.ts';

export const Schedule = {
  constant: 'constant',
  step: 'step',
  cosine: 'cosine',
  linear: 'linear',
} as const;
export type Schedule = (typeof Schedule)[keyof typeof Schedule];
export const SCHEDULES: readonly Schedule[] = Object.values(Schedule);
export function isSchedule(x: unknown): x is Schedule {
  return typeof x === 'string' && (SCHEDULES as readonly string[]).includes(x);
}

/** The base schedule is a formula (BaseScheduleSpec.formula). */
export const FORMULA = 'formula';
export type BaseSchedule = Schedule | typeof FORMULA;

export interface BaseScheduleSpec {
  schedule: BaseSchedule;
  /** schedule 'formula': the compiled formula. */
  formula?: LrFormula;
  /** Iterations per epoch (the formula's `iters` and `epoch`); default 1. */
  perEpoch?: number;
  /** The initial learning rate (a1). */
  lr: number;
  /** Where cosine and linear end (at i = total). */
  final: number;
  /** step: iterations after which the LR is multiplied by gamma (ascending). */
  milestones: readonly number[];
  /** step: the factor at each milestone. */
  gamma: number;
  /** The horizon in iterations (>= 1). */
  total: number;
}

function checkIteration(where: string, i: number, total?: number): void {
  if (!Number.isInteger(i) || i < 1 || (total !== undefined && i > total)) {
    throw new UsageError(`${where}: the iteration must be an integer in [1, ${total ?? 'inf'}], got ${i}`);
  }
}

/** The base schedule's learning rate at iteration i (1 <= i <= total). */
export function baseLr(spec: BaseScheduleSpec, i: number): number {
  checkIteration('train', i, spec.total);
  const { lr, final, total } = spec;
  switch (spec.schedule) {
    case Schedule.constant:
      return lr;
    case Schedule.step: {
      let k = 0;
      for (const m of spec.milestones) if (i > m) k++;
      return lr * spec.gamma ** k;
    }
    case Schedule.cosine:
      return final + ((lr - final) * (1 + Math.cos((Math.PI * (i - 1)) / total))) / 2;
    case Schedule.linear:
      return total === 1 ? lr : lr + ((final - lr) * (i - 1)) / (total - 1);
    case FORMULA: {
      if (!spec.formula) throw new UsageError("train: schedule 'formula' needs the compiled formula");
      const iters = spec.perEpoch ?? 1;
      return spec.formula.at({ i, epoch: Math.ceil(i / iters), frac: (i - 1) / total, total, iters, lr });
    }
  }
}

/** t(j) = (mod(j - 1, c) + 1) / c: the position within the cycle, in (0, 1]; 1 at the LR minimum. */
export function cyclePosition(j: number, cycle: number): number {
  checkIteration('train', j);
  if (!Number.isInteger(cycle) || cycle < 1) throw new UsageError(`train: --cycle must be an integer >= 1, got ${cycle}`);
  return (((j - 1) % cycle) + 1) / cycle;
}

/** a(j) = (1 - t(j)) a1 + t(j) a2 (j >= 1, counted within the cyclic phase). */
export function cyclicLr(j: number, a1: number, a2: number, cycle: number): number {
  const t = cyclePosition(j, cycle);
  return (1 - t) * a1 + t * a2;
}

/** Whether iteration j of the cyclic phase ends a cycle (t(j) = 1: an LR minimum). */
export function endsCycle(j: number, cycle: number): boolean {
  return j >= 1 && j % cycle === 0;
}

/** The whole run's schedule: a base schedule, optionally followed by a cyclic phase. */
export interface LrPlan {
  base: BaseScheduleSpec;
  /** Present for swa and fge: the cyclic phase starts after iteration `start` (0: from the first step). */
  cyclic?: { start: number; a1: number; a2: number; cycle: number };
  /** Iterations in the whole run. */
  total: number;
}

/**
 * The learning rate of iteration i (1 <= i <= plan.total): the base schedule up to the
 * cyclic phase's start, then a(j) with j = i - start.
 */
export function lrAt(plan: LrPlan, i: number): number {
  checkIteration('train', i, plan.total);
  const c = plan.cyclic;
  if (c && i > c.start) return cyclicLr(i - c.start, c.a1, c.a2, c.cycle);
  return baseLr(plan.base, i);
}

/** The learning rates of iterations 1..plan.total. */
export function lrSequence(plan: LrPlan): number[] {
  const out: number[] = new Array(plan.total);
  for (let i = 1; i <= plan.total; i++) out[i - 1] = lrAt(plan, i);
  return out;
}
