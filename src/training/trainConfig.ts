/**
 * Training options: the closed vocabulary of methods, the user-facing options (as the CLI
 * and recipes give them, camelCase), their validation, and the resolved configuration the
 * train loop runs. Every message names the option and the bad value.
 */
import { UsageError } from '../errors.ts';
import { parseP } from './samPerturbation.ts';
import { compileLrFormula, FORMULA_VARIABLES, looksLikeFormula, type LrFormula } from './lrFormula.ts';
import { FORMULA, SCHEDULES, Schedule, baseLr, isSchedule, type BaseSchedule, type LrPlan } from './schedules.ts';
import { DEFAULT_SEED } from '../engine/rng.ts';

export const Method = {
  /** Heavy-ball SGD. */
  sgd: 'sgd',
  /** Sharpness-aware minimisation (Foret et al. 2021), any p > 1, optionally adaptive (ASAM). */
  sam: 'sam',
  /** Stochastic weight averaging (Izmailov et al. 2018). */
  swa: 'swa',
  /** Fast geometric ensembling (Garipov et al. 2018): snapshots at the cyclic LR minima. */
  fge: 'fge',
} as const;
export type Method = (typeof Method)[keyof typeof Method];
export const METHODS: readonly Method[] = Object.values(Method);
export function isMethod(x: unknown): x is Method {
  return typeof x === 'string' && (METHODS as readonly string[]).includes(x);
}

/** The options as a user gives them (CLI flags in camelCase, or a recipe's `train` object). */
export interface TrainOptions {
  method?: string;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  momentum?: number;
  l2?: number;
  schedule?: string;
  lrFinal?: number;
  /** Epochs after which `step` multiplies the LR by lrGamma: numbers or a comma list. */
  lrMilestones?: number[] | string;
  lrGamma?: number;
  rho?: number;
  p?: number | string;
  adaptive?: boolean;
  asamEta?: number;
  swaStart?: number;
  swaLr?: number;
  cycle?: number;
  saveEvery?: number;
  /** Samples per gradient chunk (see TrainConfig.gradChunk); absent: the minibatch is one chunk. */
  gradChunk?: number;
  seed?: number;
}

export const TRAIN_OPTION_KEYS: readonly (keyof TrainOptions)[] = [
  'method', 'epochs', 'batchSize', 'lr', 'momentum', 'l2', 'schedule', 'lrFinal', 'lrMilestones', 'lrGamma',
  'rho', 'p', 'adaptive', 'asamEta', 'swaStart', 'swaLr', 'cycle', 'saveEvery', 'gradChunk', 'seed',
];

/** kebab-case flag of an option, for messages ("swaStart" -> "--swa-start"). */
export function flagOf(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

export const TRAIN_DEFAULTS = {
  method: Method.sgd,
  epochs: 10,
  batchSize: 64,
  lr: 0.05,
  momentum: 0.9,
  l2: 0,
  schedule: Schedule.constant,
  lrGamma: 0.1,
  rho: 0.05,
  p: 2,
  asamEta: 0,
  cycle: 1,
  saveEvery: 0,
  seed: DEFAULT_SEED,
} as const;

/** The largest --grad-chunk (samples per chunk of a minibatch's gradient). */
export const MAX_GRAD_CHUNK = 1_000_000;

/** Most FGE snapshots a run may take (each is a checkpoint on disk). */
export const MAX_SNAPSHOTS = 500;

export interface TrainConfig {
  method: Method;
  epochs: number;
  batchSize: number;
  lr: number;
  momentum: number;
  l2: number;
  /** A named schedule, or 'formula' (lrFormula). */
  schedule: BaseSchedule;
  /** --schedule as a formula (see lrFormula.ts); null for a named schedule. */
  lrFormula: LrFormula | null;
  /** Where cosine / linear end: --lr-final, else --swa-lr for swa, else 0. */
  lrFinal: number;
  /** In epochs. */
  lrMilestones: number[];
  lrGamma: number;
  sam: { rho: number; p: number; adaptive: boolean; eta: number } | null;
  /** swa and fge: the cyclic phase starts after epoch `start`; a1 = lr, a2 = swaLr. */
  cyclic: { start: number; swaLr: number; cycle: number } | null;
  saveEvery: number;
  /**
   * --grad-chunk G: each minibatch of B samples is split into consecutive chunks of at most
   * G samples; the step's loss and gradient are sum_c (n_c / B) of the chunks', added in
   * chunk order (trainLoop.ts), which worker threads may compute (stepWorkers.ts). null: the
   * minibatch is one pass (no chunks).
   */
  gradChunk: number | null;
  seed: number;
}

const SAM_ONLY = ['rho', 'p', 'adaptive', 'asamEta'] as const;
const CYCLIC_ONLY = ['swaStart', 'swaLr', 'cycle'] as const;

const WHERE = 'train';

function num(key: string, v: unknown, check: (x: number) => boolean, rule: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) {
    throw new UsageError(`${WHERE}: ${flagOf(key)} must be ${rule}, got ${v === undefined ? 'nothing' : String(v)}`);
  }
  return v;
}

function int(key: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const rule = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`;
  return num(key, v, (x) => Number.isInteger(x) && x >= min && x <= max, rule);
}

function parseMilestones(v: unknown, epochs: number): number[] {
  let list: unknown[];
  if (Array.isArray(v)) list = v;
  else if (typeof v === 'string') list = v.split(',').map((s) => (s.trim() === '' ? NaN : Number(s)));
  else if (typeof v === 'number') list = [v];
  else throw new UsageError(`${WHERE}: --lr-milestones must be a comma-separated list of epochs, got ${String(v)}`);
  const out = list.map((x) => int('lrMilestones', x, 1, epochs));
  for (let i = 1; i < out.length; i++) {
    if (out[i]! <= out[i - 1]!) throw new UsageError(`${WHERE}: --lr-milestones must be increasing, got ${out.join(',')}`);
  }
  return out;
}

/** Validates user options and fills in the defaults. Throws UsageError naming the option. */
export function resolveTrainConfig(o: TrainOptions): TrainConfig {
  const method = o.method ?? TRAIN_DEFAULTS.method;
  if (!isMethod(method)) throw new UsageError(`${WHERE}: --method must be one of ${METHODS.join(', ')}, got ${String(method)}`);
  for (const k of SAM_ONLY) {
    if (o[k] !== undefined && method !== Method.sam) {
      throw new UsageError(`${WHERE}: ${flagOf(k)} is only used by --method sam, not --method ${method}`);
    }
  }
  for (const k of CYCLIC_ONLY) {
    if (o[k] !== undefined && method !== Method.swa && method !== Method.fge) {
      throw new UsageError(`${WHERE}: ${flagOf(k)} is only used by --method swa or fge, not --method ${method}`);
    }
  }
  const epochs = int('epochs', o.epochs ?? TRAIN_DEFAULTS.epochs, 1);
  const batchSize = int('batchSize', o.batchSize ?? TRAIN_DEFAULTS.batchSize, 1);
  const lr = num('lr', o.lr ?? TRAIN_DEFAULTS.lr, (x) => x > 0, 'a finite number > 0');
  const momentum = num('momentum', o.momentum ?? TRAIN_DEFAULTS.momentum, (x) => x >= 0 && x < 1, 'a number in [0, 1)');
  const l2 = num('l2', o.l2 ?? TRAIN_DEFAULTS.l2, (x) => x >= 0, 'a finite number >= 0');
  const scheduleText = o.schedule ?? TRAIN_DEFAULTS.schedule;
  if (typeof scheduleText !== 'string') throw new UsageError(`${WHERE}: --schedule must be one of ${SCHEDULES.join(', ')} or a formula, got ${String(scheduleText)}`);
  let lrFormula: LrFormula | null = null;
  if (!isSchedule(scheduleText)) {
    if (!looksLikeFormula(scheduleText) && !(FORMULA_VARIABLES as readonly string[]).includes(scheduleText)) {
      throw new UsageError(
        `${WHERE}: --schedule must be one of ${SCHEDULES.join(', ')} or a formula in ${FORMULA_VARIABLES.join(', ')}, got ${scheduleText}`,
      );
    }
    lrFormula = compileLrFormula(scheduleText, '--schedule', WHERE);
  }
  const schedule: BaseSchedule = lrFormula ? FORMULA : (scheduleText as Schedule);
  if (o.lrMilestones !== undefined && schedule !== Schedule.step) {
    throw new UsageError(`${WHERE}: --lr-milestones is only used by --schedule step, not --schedule ${schedule}`);
  }
  if (o.lrGamma !== undefined && schedule !== Schedule.step) {
    throw new UsageError(`${WHERE}: --lr-gamma is only used by --schedule step, not --schedule ${schedule}`);
  }
  if (o.lrFinal !== undefined && schedule !== Schedule.cosine && schedule !== Schedule.linear) {
    throw new UsageError(`${WHERE}: --lr-final is only used by --schedule cosine or linear, not --schedule ${schedule}`);
  }
  const lrGamma = num('lrGamma', o.lrGamma ?? TRAIN_DEFAULTS.lrGamma, (x) => x > 0, 'a finite number > 0');
  const lrMilestones =
    o.lrMilestones !== undefined
      ? parseMilestones(o.lrMilestones, epochs)
      : [...new Set([Math.round(0.5 * epochs), Math.round(0.75 * epochs)])].filter((e) => e >= 1 && e < epochs);

  let sam: TrainConfig['sam'] = null;
  if (method === Method.sam) {
    const rho = num('rho', o.rho ?? TRAIN_DEFAULTS.rho, (x) => x >= 0, 'a finite number >= 0');
    const p = parseP(o.p ?? TRAIN_DEFAULTS.p, WHERE);
    const eta = num('asamEta', o.asamEta ?? TRAIN_DEFAULTS.asamEta, (x) => x >= 0, 'a finite number >= 0');
    if (o.asamEta !== undefined && !o.adaptive) throw new UsageError(`${WHERE}: --asam-eta needs --adaptive`);
    sam = { rho, p, adaptive: o.adaptive === true, eta };
  }

  let cyclic: TrainConfig['cyclic'] = null;
  if (method === Method.swa || method === Method.fge) {
    if (o.swaLr === undefined) throw new UsageError(`${WHERE}: --method ${method} needs --swa-lr (the learning rate a2 at the end of each cycle)`);
    const swaLr = num('swaLr', o.swaLr, (x) => x > 0, 'a finite number > 0');
    if (method === Method.swa && o.swaStart === undefined) {
      throw new UsageError(`${WHERE}: --method swa needs --swa-start (the epoch after which weights are averaged)`);
    }
    if (method === Method.fge && o.cycle === undefined) {
      throw new UsageError(`${WHERE}: --method fge needs --cycle (iterations per cycle; a snapshot at the end of each)`);
    }
    const start = o.swaStart ?? 0;
    if (typeof start === 'number' && Number.isInteger(start) && start >= epochs) {
      throw new UsageError(`${WHERE}: --swa-start must be before the last epoch (an integer in [0, ${epochs - 1}] for --epochs ${epochs}), got ${start}`);
    }
    cyclic = { start: int('swaStart', start, 0, epochs - 1), swaLr, cycle: int('cycle', o.cycle ?? TRAIN_DEFAULTS.cycle, 1) };
  }
  const lrFinal =
    o.lrFinal !== undefined
      ? num('lrFinal', o.lrFinal, (x) => x >= 0, 'a finite number >= 0')
      : method === Method.swa && cyclic
        ? cyclic.swaLr
        : 0;
  const saveEvery = int('saveEvery', o.saveEvery ?? TRAIN_DEFAULTS.saveEvery, 0);
  const gradChunk = o.gradChunk === undefined ? null : int('gradChunk', o.gradChunk, 1, MAX_GRAD_CHUNK);
  const seed = int('seed', o.seed ?? TRAIN_DEFAULTS.seed, 0, 0xffffffff);
  return { method, epochs, batchSize, lr, momentum, l2, schedule, lrFormula, lrFinal, lrMilestones, lrGamma, sam, cyclic, saveEvery, gradChunk, seed };
}

/** Minibatches per epoch (the last one may be smaller). */
export function batchesPerEpoch(config: Pick<TrainConfig, 'batchSize'>, n: number): number {
  return Math.ceil(n / config.batchSize);
}

/**
 * The LR plan of a run over n samples: for sgd and sam the base schedule over all
 * iterations; for swa and fge the base schedule over the iterations before the cyclic
 * phase (which starts after epoch `swaStart`), then a(j) between a1 = lr and a2 = swaLr.
 */
export function lrPlanFor(config: TrainConfig, n: number): LrPlan {
  const nb = batchesPerEpoch(config, n);
  const total = config.epochs * nb;
  const start = config.cyclic ? config.cyclic.start * nb : total;
  const base = {
    schedule: config.schedule,
    ...(config.lrFormula ? { formula: config.lrFormula } : {}),
    perEpoch: nb,
    lr: config.lr,
    final: config.lrFinal,
    milestones: config.lrMilestones.map((e) => e * nb),
    gamma: config.lrGamma,
    total: Math.max(1, start),
  };
  // A formula is evaluated at every iteration of its horizon now, so a bad value stops the
  // run before the first step rather than in the middle of it.
  if (config.lrFormula) for (let i = 1; i <= Math.min(start, total); i++) baseLr(base, i);
  if (!config.cyclic) return { base, total };
  return { base, total, cyclic: { start, a1: config.lr, a2: config.cyclic.swaLr, cycle: config.cyclic.cycle } };
}

/** Checks what depends on the data size: FGE's snapshot count, SWA's averaging count. */
export function checkAgainstData(config: TrainConfig, n: number): void {
  if (!config.cyclic) return;
  const nb = batchesPerEpoch(config, n);
  const phase = (config.epochs - config.cyclic.start) * nb;
  const cycles = Math.floor(phase / config.cyclic.cycle);
  if (cycles < 1) {
    throw new UsageError(
      `${WHERE}: --cycle ${config.cyclic.cycle} is longer than the ${phase} iterations after --swa-start ${config.cyclic.start} (${nb} per epoch); ` +
        `no cycle would complete, so nothing would be ${config.method === Method.fge ? 'snapshotted' : 'averaged'}`,
    );
  }
  if (config.method === Method.fge && cycles > MAX_SNAPSHOTS) {
    throw new UsageError(
      `${WHERE}: --cycle ${config.cyclic.cycle} would take ${cycles} FGE snapshots (at most ${MAX_SNAPSHOTS}); use a longer --cycle (${nb} iterations per epoch)`,
    );
  }
}

/** The hyperparameters as JSON (p = inf written as the string 'inf'); recorded in sidecars and logs. */
export function hyperparameters(config: TrainConfig): Record<string, unknown> {
  const h: Record<string, unknown> = {
    method: config.method,
    epochs: config.epochs,
    batchSize: config.batchSize,
    lr: config.lr,
    momentum: config.momentum,
    l2: config.l2,
    schedule: config.lrFormula ? config.lrFormula.text : config.schedule,
  };
  if (config.schedule === Schedule.cosine || config.schedule === Schedule.linear) h['lrFinal'] = config.lrFinal;
  if (config.schedule === Schedule.step) {
    h['lrMilestones'] = config.lrMilestones;
    h['lrGamma'] = config.lrGamma;
  }
  if (config.sam) {
    h['rho'] = config.sam.rho;
    h['p'] = config.sam.p === Infinity ? 'inf' : config.sam.p;
    h['adaptive'] = config.sam.adaptive;
    if (config.sam.adaptive) h['asamEta'] = config.sam.eta;
  }
  if (config.cyclic) {
    h['swaStart'] = config.cyclic.start;
    h['swaLr'] = config.cyclic.swaLr;
    h['cycle'] = config.cyclic.cycle;
  }
  h['saveEvery'] = config.saveEvery;
  // Only when given, so the records of runs without it are what they were.
  if (config.gradChunk !== null) h['gradChunk'] = config.gradChunk;
  h['seed'] = config.seed;
  return h;
}
