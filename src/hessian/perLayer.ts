/**
 * Per-layer analysis: the top eigenvalue and the trace of each layer's diagonal Hessian
 * block H_bb. The block is an operator of its own (blockOperator): v_b -> (H [v_b; 0])_b,
 * the full HVP of v_b padded with zeros, restricted to the block's coordinates. So the
 * same solvers run on it unchanged, with probes and start vectors of the block's size;
 * each application costs one full HVP.
 */
import { tf, type Tensor } from '../engine/tf.ts';
import * as pv from '../engine/paramVector.ts';
import { createRng } from '../engine/rng.ts';
import { UsageError } from '../errors.ts';
import { operatorFromFunction, type HvpOperator } from './HvpOperator.ts';
import { lanczosEigenpairs } from './lanczosEigenpairs.ts';
import { powerIteration } from './powerIteration.ts';
import { traceEstimate } from './hutchinson.ts';
import { Solver, TraceMethod, type LayerResult, type PerLayerResult } from './types.ts';
import { integerAtLeast, seedOf } from './validate.ts';

/** The diagonal block of H on the given parameter blocks (indices into op.shapes). */
export function blockOperator(op: HvpOperator, blocks: readonly number[]): HvpOperator {
  if (blocks.length === 0) throw new UsageError('hessian: no parameter blocks given');
  const set = new Set(blocks);
  if (set.size !== blocks.length || blocks.some((b) => !Number.isInteger(b) || b < 0 || b >= op.shapes.length)) {
    throw new UsageError(`hessian: blocks must be distinct indices in [0, ${op.shapes.length - 1}], got ${JSON.stringify(blocks)}`);
  }
  return operatorFromFunction({
    shapes: blocks.map((b) => op.shapes[b]!),
    names: blocks.map((b) => op.names[b]!),
    apply: (v) => {
      const zeros: Tensor[] = [];
      const full = op.shapes.map((s, i) => {
        if (set.has(i)) return v[blocks.indexOf(i)]!;
        const z = tf.zeros(s as number[]);
        zeros.push(z);
        return z;
      });
      try {
        const hv = op.apply(full);
        hv.forEach((t, i) => {
          if (!set.has(i)) t.dispose();
        });
        return blocks.map((b) => hv[b]!);
      } finally {
        pv.dispose(zeros);
      }
    },
  });
}

export interface LayerGroup {
  layer: string;
  /** Indices of the layer's parameter blocks. */
  blocks: number[];
}

/**
 * Parameter blocks grouped by layer: weight names 'dense_1/kernel' and 'dense_1/bias' share
 * the layer 'dense_1' (everything before the last '/'); a name without '/' is its own layer.
 * Layers are listed in the order of their first block.
 */
export function layerGroups(names: readonly string[]): LayerGroup[] {
  const groups = new Map<string, number[]>();
  names.forEach((name, i) => {
    const cut = name.lastIndexOf('/');
    const layer = cut > 0 ? name.slice(0, cut) : name;
    const g = groups.get(layer);
    if (g) g.push(i);
    else groups.set(layer, [i]);
  });
  return [...groups].map(([layer, blocks]) => ({ layer, blocks }));
}

export interface PerLayerOptions {
  solver?: Solver;
  tol?: number;
  maxIter?: number;
  seed?: number;
  traceMethod?: TraceMethod;
  /** HVP budget of each layer's trace. */
  probes?: number;
  /** Parameter blocks per layer; default layerGroups(op.names). */
  groups?: readonly LayerGroup[];
}

/**
 * Top eigenvalue and trace of each layer's diagonal block. Layer j's solvers use the seed
 * createRng(seed).fork(j).seed, so a layer's numbers do not depend on the others.
 */
export function perLayer(op: HvpOperator, opts: PerLayerOptions = {}): PerLayerResult {
  const seed = seedOf('hessian', opts.seed ?? 0);
  const groups = opts.groups ?? layerGroups(op.names);
  if (opts.probes !== undefined) integerAtLeast('hessian', 'probes', opts.probes, 1);
  const before = op.hvps;
  const layers = groups.map((_, j) => layerResult(op, opts, j));
  return { layers, hvps: op.hvps - before, seed };
}

/**
 * Layer j of perLayer alone (groups: opts.groups ?? layerGroups(op.names)): the same numbers
 * as perLayer's layer j, so layers can be computed in any order or on any worker.
 */
export function layerResult(op: HvpOperator, opts: PerLayerOptions, j: number): LayerResult {
  const where = 'hessian';
  const seed = seedOf(where, opts.seed ?? 0);
  const groups = opts.groups ?? layerGroups(op.names);
  const solver = opts.solver ?? Solver.lanczos;
  const traceMethod = opts.traceMethod ?? TraceMethod.hutchinson;
  if (opts.probes !== undefined) integerAtLeast(where, 'probes', opts.probes, 1);
  integerAtLeast(where, 'layer index', j, 0);
  const g = groups[j];
  if (g === undefined) throw new UsageError(`${where}: layer index must be below the number of layers (${groups.length}), got ${j}`);
  const block = blockOperator(op, g.blocks);
  const layerSeed = createRng(seed).fork(j).seed;
  const common = { topK: 1, tol: opts.tol, maxIter: opts.maxIter, seed: layerSeed };
  const eigen = solver === Solver.power ? powerIteration(block, common) : lanczosEigenpairs(block, common);
  const trace = traceEstimate(block, traceMethod, { probes: opts.probes, seed: layerSeed });
  return { layer: g.layer, blocks: g.blocks.map((b) => op.names[b]!), dimension: block.dimension, eigen, trace };
}
