/**
 * The train loop, free of file I/O: epochs of seeded shuffled minibatches over a Dataset,
 * one method step per minibatch (sgd, sam, swa, fge), the LR plan, SWA's running average
 * and FGE's snapshot events. Its whole state after an epoch is plain data (TrainerState),
 * so a run can be saved after any epoch and resumed to the same final weights.
 *
 * Randomness: epoch e (0-based) shuffles with rng.fork(e).fork(0) and gives minibatch b
 * the dropout seeds of rng.fork(e).fork(b + 1), rng = createRng(seed). Nothing else is
 * random, so the same seed on the same backend gives the same weights, resumed or not.
 */
import { tf, tfl, type Scalar, type Tensor, type Variable } from '../engine/tf.ts';
import * as pv from '../engine/paramVector.ts';
import { createRng, type Rng } from '../engine/rng.ts';
import type { Dataset } from '../io/dataset.ts';
import { NumericError, UsageError } from '../errors.ts';
import { Loss, lossFromLogits } from '../objective/losses.ts';
import { addL2Gradient, samGradient, sgdGradient, type StepGradient } from './methodStep.ts';
import { endsCycle, lrAt, type LrPlan } from './schedules.ts';
import { HeavyBall } from './sgdStep.ts';
import { RunningAverage } from './swaAverage.ts';
import { Method, batchesPerEpoch, lrPlanFor, type TrainConfig } from './trainConfig.ts';
import { isLayersModel, layersTrainableNet } from './layersTrainableNet.ts';
import type { TrainableNet } from './TrainableNet.ts';

/** Everything needed to continue a run after `epoch` completed epochs. */
export interface TrainerState {
  /** Completed epochs. */
  epoch: number;
  /** Completed iterations (epoch * batches per epoch). */
  iteration: number;
  /** All weights (trainable and not), TrainableNet.flatWeights order (`model.weights` for layers models). */
  weights: Float32Array;
  /** Heavy-ball buffers, one per trainable weight. */
  momentum: Float32Array[];
  /** SWA's running average over all weights, or null. */
  swa: { values: Float64Array; count: number } | null;
  /** FGE snapshots taken so far. */
  snapshots: number;
}

export interface IterationInfo {
  /** 1-based. */
  epoch: number;
  /** 1-based, over the whole run. */
  iteration: number;
  /** 1-based within the epoch. */
  batch: number;
  batches: number;
  lr: number;
  loss: number;
  /** Running accuracy of the epoch so far (null for mse). */
  accuracy: number | null;
}

export interface EpochStats {
  /** 1-based. */
  epoch: number;
  /** Mean minibatch loss over the epoch (the data loss at w before each step, without the L2 term). */
  trainLoss: number;
  /** Fraction of the epoch's samples classified correctly at w before each step (null for mse). */
  trainAccuracy: number | null;
  /** The LR of the epoch's last iteration. */
  lr: number;
  /** Per iteration of the epoch. */
  iterations: { lr: number[]; loss: number[] };
  seconds: number;
}

export interface SnapshotInfo {
  /** 1-based snapshot number. */
  index: number;
  epoch: number;
  iteration: number;
  lr: number;
}

export interface TrainerEvents {
  onIteration?(info: IterationInfo): void;
  /** SWA: an iterate was averaged (flat weights, `model.weights` order) and the count after. */
  onAverage?(weights: Float32Array, count: number, iteration: number): void;
  /** FGE: the network holds an LR-minimum snapshot now; save it before resolving. */
  onSnapshot?(info: SnapshotInfo): Promise<void>;
  /** Checked between iterations; true stops the epoch early with TrainingStopped (the
   *  Trainer is then mid-epoch: discard it and resume from the last saved state). */
  shouldStop?(): boolean;
}

/** Thrown by runEpoch when `shouldStop` says so. */
export class TrainingStopped extends Error {
  constructor(epoch: number, iteration: number) {
    super(`train: stopped in epoch ${epoch} at iteration ${iteration}`);
    this.name = 'TrainingStopped';
  }
}

/** A permutation of 0..n-1 (Fisher-Yates) from rng. */
export function permutation(n: number, rng: Rng): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(0, i);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export interface TrainerArgs {
  /** The training network (logits for ce / bce); its weights are trained in place. A layers
   *  model is wrapped by layersTrainableNet. */
  net: tfl.LayersModel | TrainableNet;
  data: Dataset;
  loss: Loss;
  config: TrainConfig;
  /** Continue from here; otherwise start at the network's current weights. */
  state?: TrainerState;
}

export class Trainer {
  readonly net: TrainableNet;
  readonly data: Dataset;
  readonly loss: Loss;
  readonly config: TrainConfig;
  readonly plan: LrPlan;
  readonly batches: number;
  private readonly vars: Variable[];
  private readonly optimizer: HeavyBall;
  private readonly rng: Rng;
  private readonly average: RunningAverage | null;
  private readonly units: number;
  private readonly per: number;
  private epochsDone: number;
  private iterationsDone: number;
  private snapshotsTaken: number;
  /** Gradients computed (SAM counts two per step). */
  gradients = 0;

  constructor(args: TrainerArgs) {
    const { net, data, loss, config, state } = args;
    if (data.n === 0) throw new UsageError(`train: ${data.spec} is empty`);
    this.net = isLayersModel(net) ? layersTrainableNet(net) : net;
    this.data = data;
    this.loss = loss;
    this.config = config;
    this.plan = lrPlanFor(config, data.n);
    this.batches = batchesPerEpoch(config, data.n);
    this.vars = [...this.net.vars];
    this.units = this.net.outputUnits;
    this.per = data.sampleShape.reduce((a, b) => a * b, 1);
    this.rng = createRng(config.seed);
    const size = this.net.weightCount;
    if (state) {
      if (state.iteration !== state.epoch * this.batches) {
        throw new UsageError(`train: the saved state is at iteration ${state.iteration}, not at the end of epoch ${state.epoch}`);
      }
      this.net.setFlatWeights(state.weights);
    }
    this.optimizer = new HeavyBall(this.vars, config.momentum, state?.momentum);
    this.average = config.method === Method.swa ? new RunningAverage(size, state?.swa ?? undefined) : null;
    this.epochsDone = state?.epoch ?? 0;
    this.iterationsDone = state?.iteration ?? 0;
    this.snapshotsTaken = state?.snapshots ?? 0;
  }

  get epoch(): number {
    return this.epochsDone;
  }

  get iteration(): number {
    return this.iterationsDone;
  }

  get done(): boolean {
    return this.epochsDone >= this.config.epochs;
  }

  get swaCount(): number {
    return this.average?.count ?? 0;
  }

  get snapshots(): number {
    return this.snapshotsTaken;
  }

  /** SWA's average of all weights (float64), or null before the first average / for other methods. */
  swaWeights(): Float64Array | null {
    return this.average && this.average.count > 0 ? this.average.mean() : null;
  }

  state(): TrainerState {
    return {
      epoch: this.epochsDone,
      iteration: this.iterationsDone,
      weights: this.net.flatWeights(),
      momentum: this.optimizer.bufferValues(),
      swa: this.average ? { values: this.average.mean(), count: this.average.count } : null,
      snapshots: this.snapshotsTaken,
    };
  }

  private batchTensors(idx: Int32Array, start: number, size: number): { x: Tensor; y: Tensor } {
    const per = this.per;
    const d = this.data;
    const xs = new Float32Array(size * per);
    for (let r = 0; r < size; r++) {
      const s = idx[start + r]!;
      xs.set(d.x.subarray(s * per, (s + 1) * per), r * per);
    }
    const x = tf.tensor(xs, [size, ...d.sampleShape], 'float32');
    const t = d.targets;
    let y: Tensor;
    if (t.kind === 'classes') {
      const labels = new Int32Array(size);
      for (let r = 0; r < size; r++) labels[r] = t.labels[idx[start + r]!]!;
      if (this.loss === Loss.ce) y = tf.tensor1d(labels, 'int32');
      else if (this.units === 1) y = tf.tensor2d(Float32Array.from(labels), [size, 1]);
      else y = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), this.units), 'float32'));
    } else {
      const ys = new Float32Array(size * t.dim);
      for (let r = 0; r < size; r++) {
        const s = idx[start + r]!;
        ys.set(t.values.subarray(s * t.dim, (s + 1) * t.dim), r * t.dim);
      }
      y = tf.tensor2d(ys, [size, t.dim]);
    }
    return { x, y };
  }

  private logits(x: Tensor): Tensor {
    const out = this.net.trainingOutput(x);
    return out.rank > 2 ? tf.reshape(out, [out.shape[0]!, -1]) : out;
  }

  private lossOf(logits: Tensor, y: Tensor): Scalar {
    return lossFromLogits(this.loss, logits, y);
  }

  private hitsOf(logits: Tensor, y: Tensor): Tensor | null {
    if (this.loss === Loss.mse) return null;
    if (this.loss === Loss.ce) return tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), y), 'float32'));
    return tf.sum(tf.mean(tf.cast(tf.equal(tf.cast(tf.greater(logits, 0), 'float32'), y), 'float32'), -1));
  }

  /** One minibatch step at iteration i (1-based) with learning rate lr. Returns loss and hits. */
  private step(x: Tensor, y: Tensor, lr: number): { loss: number; hits: number | null } {
    let hits: Tensor | null = null;
    const first = (): Scalar => {
      const logits = this.logits(x);
      const h = this.hitsOf(logits, y);
      if (h) hits = tf.keep(h);
      return this.lossOf(logits, y);
    };
    const plain = (): Scalar => this.lossOf(this.logits(x), y);
    let g: StepGradient;
    if (this.config.method === Method.sam) {
      const sam = this.config.sam!;
      let restore: (() => void) | undefined;
      g = samGradient(first, plain, this.vars, sam, {
        // BatchNorm's moving statistics are updated by the first pass only.
        beforeSecondPass: () => {
          restore = this.net.saveState();
        },
        afterSecondPass: () => {
          restore?.();
        },
      });
      this.gradients += 2;
    } else {
      g = sgdGradient(first, this.vars);
      this.gradients += 1;
    }
    this.net.endStep();
    let hitCount: number | null = null;
    if (hits) {
      hitCount = (hits as Tensor).dataSync()[0]!;
      (hits as Tensor).dispose();
    }
    if (!Number.isFinite(g.value)) {
      pv.dispose(g.grads);
      throw new NumericError(`train: the loss became ${g.value} at iteration ${this.iterationsDone + 1} (epoch ${this.epochsDone + 1}); lower --lr`);
    }
    const total = addL2Gradient(g.grads, this.vars, this.config.l2);
    pv.dispose(g.grads);
    this.optimizer.stepInPlace(total, lr);
    pv.dispose(total);
    return { loss: g.value, hits: hitCount };
  }

  /** Runs the next epoch. Throws when all epochs are done. */
  async runEpoch(events: TrainerEvents = {}): Promise<EpochStats> {
    if (this.done) throw new UsageError(`train: all ${this.config.epochs} epochs are done`);
    const started = performance.now();
    const e = this.epochsDone;
    const epochRng = this.rng.fork(e);
    const order = permutation(this.data.n, epochRng.fork(0));
    const B = this.config.batchSize;
    const lrs: number[] = [];
    const losses: number[] = [];
    let lossSum = 0;
    let hitSum = 0;
    let seen = 0;
    const cyclic = this.plan.cyclic;
    // SWA (Algorithm 1): w_swa starts at the weights where the cyclic phase begins.
    if (this.average && cyclic && this.iterationsDone === cyclic.start && this.average.count === 0) {
      const w = this.net.flatWeights();
      this.average.update(w);
      events.onAverage?.(w, this.average.count, this.iterationsDone);
    }
    for (let b = 0; b < this.batches; b++) {
      if (events.shouldStop?.()) throw new TrainingStopped(e + 1, this.iterationsDone);
      const i = this.iterationsDone + 1;
      const lr = lrAt(this.plan, i);
      const start = b * B;
      const size = Math.min(B, this.data.n - start);
      this.net.seedStep(epochRng.fork(b + 1));
      const { x, y } = this.batchTensors(order, start, size);
      let r: { loss: number; hits: number | null };
      try {
        r = this.step(x, y, lr);
      } finally {
        tf.dispose([x, y]);
      }
      this.iterationsDone = i;
      lrs.push(lr);
      losses.push(r.loss);
      lossSum += r.loss * size;
      if (r.hits !== null) hitSum += r.hits;
      seen += size;
      if (cyclic && i > cyclic.start && endsCycle(i - cyclic.start, cyclic.cycle)) {
        if (this.average) {
          const w = this.net.flatWeights();
          this.average.update(w);
          events.onAverage?.(w, this.average.count, i);
        }
        if (this.config.method === Method.fge) {
          this.snapshotsTaken++;
          await events.onSnapshot?.({ index: this.snapshotsTaken, epoch: e + 1, iteration: i, lr });
        }
      }
      events.onIteration?.({
        epoch: e + 1,
        iteration: i,
        batch: b + 1,
        batches: this.batches,
        lr,
        loss: r.loss,
        accuracy: this.loss === Loss.mse ? null : hitSum / seen,
      });
      await yieldToEventLoop();
    }
    this.epochsDone = e + 1;
    return {
      epoch: e + 1,
      trainLoss: lossSum / seen,
      trainAccuracy: this.loss === Loss.mse ? null : hitSum / seen,
      lr: lrs[lrs.length - 1]!,
      iterations: { lr: lrs, loss: losses },
      seconds: (performance.now() - started) / 1000,
    };
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
