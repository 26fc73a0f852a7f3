/**
 * A checked, ready-to-run ONNX graph: validation (supported ops, DAG, every tensor
 * provided, finite float initializers), the classification of initializers into
 * parameters, state and constants, constant folding at load, and the interpreter that
 * runs the remaining nodes with engine ops. `loadOnnx` builds the one-input model on it;
 * tests use it directly for multi-input graphs (the ONNX node suite).
 */
import onnxProto from 'onnx-proto';
import { tf, type Tensor } from '../../engine/tf.ts';
import { InputError } from '../../errors.ts';
import { HostTensor, isHost } from './HostTensor.ts';
import { Attributes } from './attributes.ts';
import { OP_TABLE } from './opTable.ts';
import { convBatchNorm } from './ops/nnOps.ts';
import { OpError, registerPersistent, type OpContext, type Value } from './ops/value.ts';
import { dataTypeName, toNumber } from './tensorProto.ts';

type NodeProto = onnxProto.onnx.INodeProto;
type ModelProto = onnxProto.onnx.IModelProto;

/** Ops that only move or relabel values: a parameter seen through them is still a parameter. */
const LAYOUT_OPS: ReadonlySet<string> = new Set(['Transpose', 'Identity', 'Reshape', 'Unsqueeze', 'Squeeze', 'Cast', 'Flatten', 'Expand']);

export interface GraphTensorInfo {
  name: string;
  /** null = dynamic (a dim_param or no value). */
  shape: (number | null)[];
  dtype: string;
}

export interface RunOptions {
  training: boolean;
  onBatchStats?: OpContext['onBatchStats'];
  /** Called with every value the run computes (for activation sizes). */
  observe?: (name: string, value: Value) => void;
  /**
   * Values only (no gradient will be taken): with training false, each Conv ->
   * BatchNormalization (-> Relu) chain whose intermediate tensors nothing else reads runs as
   * one convolution with the BatchNorm folded in (equal up to float32 rounding).
   */
  fuse?: boolean;
}

interface PlannedNode {
  node: NodeProto;
  label: string;
  attrs: Attributes;
  inputs: string[];
  outputs: string[];
  /** A Conv fused with the BatchNormalization (and Relu) after it: inputs are the Conv's, then the BatchNorm's scale, B, mean, var. */
  fusedBn?: { convInputs: number; epsilon: number; relu: boolean };
}

export function nodeLabel(node: NodeProto, index: number): string {
  return node.name ? `'${node.name}'` : `#${index} (${node.opType} -> ${node.output?.[0] ?? '?'})`;
}

function isDefaultDomain(d: string | null | undefined): boolean {
  return !d || d === 'ai.onnx';
}

/** The ai.onnx opset the model imports (1 if none is stated, as the spec says). */
export function defaultOpset(model: ModelProto): number {
  const imp = (model.opsetImport ?? []).find((o) => isDefaultDomain(o.domain));
  return imp ? toNumber(imp.version) : 1;
}

function tensorInfo(v: onnxProto.onnx.IValueInfoProto): GraphTensorInfo {
  const tt = v.type?.tensorType;
  const dims = tt?.shape?.dim ?? [];
  return {
    name: v.name ?? '',
    shape: dims.map((d) => (d.dimValue !== undefined && d.dimValue !== null && !d.dimParam ? toNumber(d.dimValue) : null)),
    dtype: dataTypeName(tt?.elemType),
  };
}

export class OnnxGraph {
  readonly opset: number;
  /** Graph inputs that are not initializers. */
  readonly inputs: GraphTensorInfo[];
  readonly outputs: GraphTensorInfo[];
  readonly params: string[] = [];
  readonly state: string[] = [];
  readonly constants: string[] = [];
  readonly opCounts: Record<string, number> = {};
  /** Producer node of each tensor (original graph), for the final-activation check. */
  readonly producer = new Map<string, NodeProto>();
  private readonly folded = new Map<string, HostTensor>();
  private readonly initializers: ReadonlyMap<string, HostTensor>;
  private readonly plan: PlannedNode[] = [];
  private readonly persistent: Tensor[] = [];
  private readonly prunedPlans = new Map<string, PlannedNode[]>();
  private readonly fusedPlans = new Map<string, PlannedNode[]>();

  /**
   * `initializers`: every graph initializer decoded (float types already float32), in graph
   * order. Validates, classifies and folds; throws InputError naming the node or tensor.
   */
  constructor(model: ModelProto, initializers: ReadonlyMap<string, HostTensor>, where: string) {
    const graph = model.graph;
    if (!graph) throw new InputError(`onnx: ${where} has no graph`);
    this.opset = defaultOpset(model);
    this.initializers = initializers;
    const nodes = graph.node ?? [];

    // 1. Supported ops, all listed at once with the first node of each.
    const unsupported = new Map<string, string>();
    nodes.forEach((n, i) => {
      const key = isDefaultDomain(n.domain) ? (n.opType ?? '') : `${n.domain}:${n.opType}`;
      if (!isDefaultDomain(n.domain) || !(key in OP_TABLE)) {
        if (!unsupported.has(key)) unsupported.set(key, nodeLabel(n, i));
      }
    });
    if (unsupported.size > 0) {
      const list = [...unsupported].map(([op, n]) => `${op} (first at node ${n})`).join(', ');
      throw new InputError(`onnx: ${where} uses ${unsupported.size} unsupported op type(s): ${list}; see docs/onnx.md for the supported ops`);
    }

    // 2. Finite float initializers.
    for (const [name, t] of initializers) {
      if (t.dtype !== 'float32') continue;
      let bad = 0;
      let first = -1;
      for (let i = 0; i < t.size; i++) {
        if (!Number.isFinite(t.data[i]!)) {
          bad++;
          if (first < 0) first = i;
        }
      }
      if (bad > 0) throw new InputError(`onnx: initializer '${name}' in ${where} has ${bad} non-finite value(s) (first at flat index ${first})`);
    }

    // 3. A DAG in which every tensor is provided; nodes in topological order.
    const initNames = new Set(initializers.keys());
    this.inputs = (graph.input ?? []).filter((v) => !initNames.has(v.name ?? '')).map(tensorInfo);
    this.outputs = (graph.output ?? []).map(tensorInfo);
    const available = new Set<string>([...initNames, ...this.inputs.map((i) => i.name)]);
    nodes.forEach((n, i) => {
      for (const o of n.output ?? []) {
        if (!o) continue;
        if (this.producer.has(o) || available.has(o)) throw new InputError(`onnx: tensor '${o}' in ${where} is produced twice (node ${nodeLabel(n, i)})`);
        this.producer.set(o, n);
      }
    });
    nodes.forEach((n, i) => {
      for (const inp of n.input ?? []) {
        if (inp && !available.has(inp) && !this.producer.has(inp)) {
          throw new InputError(`onnx: node ${nodeLabel(n, i)} (${n.opType}) in ${where} reads tensor '${inp}', which no node, initializer or graph input provides`);
        }
      }
    });
    for (const o of this.outputs) {
      if (!available.has(o.name) && !this.producer.has(o.name)) throw new InputError(`onnx: graph output '${o.name}' of ${where} is not computed by any node`);
    }
    const order = this.topologicalOrder(nodes, available, where);

    // 4. Classify initializers by the slots they feed, directly or through layout-only ops
    // (PyTorch exports nn.Linear on 3-D input as MatMul(x, Transpose(weight))).
    const role = new Map<string, 'param' | 'state'>();
    const consumers = new Map<string, { node: NodeProto; slot: number }[]>();
    for (const n of nodes) {
      (n.input ?? []).forEach((inp, slot) => {
        if (!consumers.has(inp)) consumers.set(inp, []);
        consumers.get(inp)!.push({ node: n, slot });
      });
    }
    const feedsWeightSlot = (tensor: string, depth: number): boolean =>
      (consumers.get(tensor) ?? []).some(({ node, slot }) => {
        const spec = OP_TABLE[node.opType ?? '']!;
        if (spec.paramSlots?.includes(slot)) return true;
        return depth < 8 && slot === 0 && LAYOUT_OPS.has(node.opType ?? '') && (node.output ?? []).some((o) => feedsWeightSlot(o, depth + 1));
      });
    for (const n of nodes) {
      const spec = OP_TABLE[n.opType ?? '']!;
      (n.input ?? []).forEach((inp, slot) => {
        const t = initializers.get(inp);
        if (!t || t.dtype !== 'float32') return;
        if (spec.stateSlots?.includes(slot)) role.set(inp, 'state');
      });
    }
    for (const [name, t] of initializers) {
      if (t.dtype === 'float32' && role.get(name) !== 'state' && feedsWeightSlot(name, 0)) role.set(name, 'param');
    }
    for (const name of initializers.keys()) {
      const r = role.get(name);
      (r === 'param' ? this.params : r === 'state' ? this.state : this.constants).push(name);
    }
    for (const n of nodes) this.opCounts[n.opType!] = (this.opCounts[n.opType!] ?? 0) + 1;

    // 5. Fold every node whose inputs are all constants; the rest is the run plan.
    for (const name of this.constants) this.folded.set(name, initializers.get(name)!);
    for (const i of order) {
      const n = nodes[i]!;
      const planned: PlannedNode = {
        node: n,
        label: nodeLabel(n, i),
        attrs: new Attributes(n.attribute),
        inputs: [...(n.input ?? [])],
        outputs: [...(n.output ?? [])],
      };
      if (planned.inputs.every((inp) => inp === '' || this.folded.has(inp))) {
        let outs: Value[] = [];
        tf.tidy(() => {
          outs = this.runNode(planned, (nm) => this.folded.get(nm), { training: false });
        });
        planned.outputs.forEach((o, k) => {
          if (o && outs[k] !== undefined) this.folded.set(o, outs[k] as HostTensor);
        });
      } else {
        this.plan.push(planned);
      }
    }
    // Float constants the run plan reads get one engine copy, made once.
    const used = new Set(this.plan.flatMap((p) => p.inputs));
    for (const [name, h] of this.folded) {
      if (used.has(name) && h.dtype === 'float32' && h.size > 1) this.persistent.push(registerPersistent(h));
    }
  }

  private topologicalOrder(nodes: readonly NodeProto[], available: ReadonlySet<string>, where: string): number[] {
    const indeg = nodes.map((n) => new Set((n.input ?? []).filter((x) => x && !available.has(x))).size);
    const consumers = new Map<string, number[]>();
    nodes.forEach((n, i) => {
      for (const x of new Set(n.input ?? [])) {
        if (x && !available.has(x)) consumers.set(x, [...(consumers.get(x) ?? []), i]);
      }
    });
    const ready = nodes.flatMap((_, i) => (indeg[i] === 0 ? [i] : []));
    const order: number[] = [];
    while (ready.length > 0) {
      const i = ready.shift()!;
      order.push(i);
      for (const o of nodes[i]!.output ?? []) {
        for (const c of consumers.get(o) ?? []) if (--indeg[c]! === 0) ready.push(c);
      }
    }
    if (order.length < nodes.length) {
      const stuck = nodes.findIndex((_, i) => indeg[i]! > 0);
      throw new InputError(`onnx: ${where} is not a DAG: node ${nodeLabel(nodes[stuck]!, stuck)} (${nodes[stuck]!.opType}) is on a cycle`);
    }
    return order;
  }

  /** Runs one node; tensor outputs of a folded node are read back to host. */
  private runNode(p: PlannedNode, get: (name: string) => Value | undefined, opts: RunOptions, fold = true): Value[] {
    const inputs = p.inputs.map((nm) => (nm === '' ? undefined : get(nm)));
    const ctx: OpContext = {
      attrs: p.attrs,
      opset: this.opset,
      outputs: p.outputs.length,
      inputNames: p.inputs,
      training: opts.training,
      onBatchStats: opts.onBatchStats,
    };
    let outs: Value[];
    try {
      const f = p.fusedBn;
      outs = f ? [convBatchNorm(inputs.slice(0, f.convInputs), inputs.slice(f.convInputs), ctx, f.epsilon, f.relu)] : OP_TABLE[p.node.opType!]!.run(inputs, ctx);
    } catch (e) {
      if (e instanceof InputError) throw e;
      const msg = (e as Error).message?.split('\n')[0] ?? String(e);
      throw new InputError(`onnx: node ${p.label} (${p.node.opType}): ${msg}`, { cause: e });
    }
    if (!fold) return outs;
    return outs.map((v) => {
      if (isHost(v)) return v;
      const dtype = v.dtype === 'float32' ? 'float32' : v.dtype === 'bool' ? 'bool' : 'int64';
      return new HostTensor(dtype, v.shape, dtype === 'float32' ? (v.dataSync() as Float32Array) : Array.from(v.dataSync()));
    });
  }

  /** The plan restricted to the nodes `want` depends on. */
  private planFor(want: readonly string[]): PlannedNode[] {
    const key = want.join('\u0000');
    let p = this.prunedPlans.get(key);
    if (p) return p;
    const needed = new Set(want);
    const keep: PlannedNode[] = [];
    for (let i = this.plan.length - 1; i >= 0; i--) {
      const n = this.plan[i]!;
      if (n.outputs.some((o) => needed.has(o))) {
        keep.push(n);
        for (const x of n.inputs) if (x) needed.add(x);
      }
    }
    p = keep.reverse();
    this.prunedPlans.set(key, p);
    return p;
  }

  /**
   * planFor(want) with each Conv -> BatchNormalization (inference, one output) (-> Relu)
   * chain as one node, where nothing else reads the Conv's output (nor, for the Relu, the
   * BatchNorm's) and neither is wanted. The fused node takes the chain's last position, so
   * every input of the chain is computed before it.
   */
  private fusedPlanFor(want: readonly string[]): PlannedNode[] {
    const key = want.join('\u0000');
    let p = this.fusedPlans.get(key);
    if (p) return p;
    const plan = this.planFor(want);
    const readers = new Map<string, PlannedNode[]>();
    for (const n of this.plan) for (const x of new Set(n.inputs)) if (x) readers.set(x, [...(readers.get(x) ?? []), n]);
    const kept = new Set([...want, ...this.outputs.map((o) => o.name)]);
    const soleReader = (t: string | undefined): PlannedNode | null => {
      const r = t === undefined ? undefined : readers.get(t);
      return r && r.length === 1 && !kept.has(t!) ? r[0]! : null;
    };
    const chainAt = new Map<PlannedNode, PlannedNode>(); // last node of a chain -> its fused node
    const inChain = new Set<PlannedNode>();
    for (const c of plan) {
      if (c.node.opType !== 'Conv' || c.outputs.length !== 1) continue;
      const bn = soleReader(c.outputs[0]);
      if (!bn || bn.node.opType !== 'BatchNormalization' || bn.inputs[0] !== c.outputs[0] || bn.outputs.length !== 1 || bn.attrs.int('training_mode', 0) !== 0) continue;
      const r = soleReader(bn.outputs[0]);
      const relu = r && r.node.opType === 'Relu' ? r : null;
      const last = relu ?? bn;
      chainAt.set(last, {
        ...c,
        inputs: [...c.inputs, ...bn.inputs.slice(1)],
        outputs: [...last.outputs],
        fusedBn: { convInputs: c.inputs.length, epsilon: bn.attrs.float('epsilon', 1e-5), relu: relu !== null },
      });
      for (const n of [c, bn, ...(relu ? [relu] : [])]) inChain.add(n);
    }
    p = plan.flatMap((n) => (chainAt.has(n) ? [chainAt.get(n)!] : inChain.has(n) ? [] : [n]));
    this.fusedPlans.set(key, p);
    return p;
  }

  /** The decoded value of an initializer (parameters and state included). */
  initializer(name: string): HostTensor | undefined {
    return this.initializers.get(name);
  }

  /** Host value of a folded constant (undefined if the tensor is computed at run time). */
  constantValue(name: string): HostTensor | undefined {
    return this.folded.get(name);
  }

  /**
   * Runs the graph. `feeds` holds the graph inputs, parameters and state by name; returns
   * the values of `want` (default: the graph outputs). Differentiable; no readback.
   */
  run(feeds: ReadonlyMap<string, Value>, opts: RunOptions, want: readonly string[] = this.outputs.map((o) => o.name)): Value[] {
    const env = new Map<string, Value>(feeds);
    const get = (nm: string): Value | undefined => env.get(nm) ?? this.folded.get(nm);
    for (const p of opts.fuse && !opts.training ? this.fusedPlanFor(want) : this.planFor(want)) {
      const outs = this.runNode(p, get, opts, false);
      p.outputs.forEach((o, k) => {
        if (!o || outs[k] === undefined) return;
        env.set(o, outs[k]!);
        opts.observe?.(o, outs[k]!);
      });
    }
    return want.map((w) => {
      const v = get(w);
      if (v === undefined) throw new InputError(`onnx: tensor '${w}' was not computed (missing feed?)`);
      return v;
    });
  }

  dispose(): void {
    for (const t of this.persistent) t.dispose();
    this.persistent.length = 0;
  }
}

export { OpError };
