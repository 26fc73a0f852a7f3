/**
 * Checks a model topology before TensorFlow.js sees it. tfjs-layers builds a functional
 * model by looping until every node's inputs exist, so a cycle or a reference to a missing
 * layer loops forever; and it creates and initialises every weight the config implies, so
 * a topology whose layer sizes disagree with the manifest can allocate gigabytes before the
 * mismatch is noticed. Here, on the JSON alone:
 * - every layer of a functional model (nested ones too) has a unique name, every inbound
 *   reference, input and output names an existing layer and node, and the nodes form a DAG;
 * - the weights the config implies (Dense units x inputs, convolution kernels, embeddings,
 *   BatchNorm, ...; inputs counted as 1 where the shape cannot be inferred, so this is a
 *   lower bound) do not exceed the weights the manifest holds by more than BUILD_SLACK.
 */
import { InputError } from '../errors.ts';

type Obj = Record<string, unknown>;
type Shape = (number | null)[] | null;

function isObject(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

const MAX_DEPTH = 32;

/** Weights (elements, 16 MB of float32) tfjs may build beyond the manifest before the exact check names the mismatch. */
export const BUILD_SLACK = 2 ** 22;

/** One layer's implied weight count (a lower bound when `inShape` is unknown) and its output shape. */
interface LayerEstimate {
  params: number;
  out: Shape;
}

function num(x: unknown, fallback = 1): number {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : fallback;
}

function prod(xs: readonly unknown[]): number {
  return xs.reduce<number>((a, b) => a * num(b), 1);
}

function kernelSize(c: Obj, rank: number): number[] {
  const k = c['kernel_size'] ?? c['pool_size'];
  if (Array.isArray(k)) return k.map((x) => num(x));
  return Array.from({ length: rank }, () => num(k));
}

function lastDim(s: Shape): number | null {
  if (!s || s.length === 0) return null;
  const d = s[s.length - 1];
  return typeof d === 'number' ? d : null;
}

function batchInputShape(c: Obj): Shape {
  const s = c['batch_input_shape'] ?? c['batch_shape'];
  if (Array.isArray(s)) return s.map((d) => (typeof d === 'number' ? d : null));
  const i = c['input_shape'];
  if (Array.isArray(i)) return [null, ...i.map((d) => (typeof d === 'number' ? d : null))];
  return null;
}

/** Weights (elements) a layer of class `cls` with config `c` creates, given its input shape. */
function estimateLayer(cls: string, c: Obj, inShape: Shape): LayerEstimate {
  const useBias = c['use_bias'] !== false;
  // Channels are the last axis unless the layer says otherwise; then they are not inferred.
  const channelsLast = c['data_format'] !== 'channels_first';
  const inC = channelsLast ? (lastDim(inShape) ?? 1) : 1;
  switch (cls) {
    case 'InputLayer':
      return { params: 0, out: batchInputShape(c) };
    case 'Dense': {
      const units = num(c['units']);
      const out = inShape ? [...inShape.slice(0, -1), units] : null;
      return { params: inC * units + (useBias ? units : 0), out };
    }
    case 'Conv1D':
    case 'Conv2D':
    case 'Conv3D':
    case 'Conv2DTranspose':
    case 'Conv3DTranspose': {
      const rank = cls.startsWith('Conv1') ? 1 : cls.startsWith('Conv3') ? 3 : 2;
      const filters = num(c['filters']);
      return { params: prod(kernelSize(c, rank)) * inC * filters + (useBias ? filters : 0), out: null };
    }
    case 'DepthwiseConv2D': {
      const mult = num(c['depth_multiplier']);
      return { params: prod(kernelSize(c, 2)) * inC * mult + (useBias ? inC * mult : 0), out: null };
    }
    case 'SeparableConv1D':
    case 'SeparableConv2D': {
      const rank = cls === 'SeparableConv1D' ? 1 : 2;
      const mult = num(c['depth_multiplier']);
      const filters = num(c['filters']);
      return { params: prod(kernelSize(c, rank)) * inC * mult + inC * mult * filters + (useBias ? filters : 0), out: null };
    }
    case 'Embedding':
      return { params: num(c['input_dim']) * num(c['output_dim']), out: null };
    case 'BatchNormalization': {
      const axis = Array.isArray(c['axis']) ? c['axis'][0] : (c['axis'] ?? -1);
      if (!(axis === -1 || (inShape && axis === inShape.length - 1))) return { params: 0, out: inShape };
      const scale = c['scale'] !== false;
      const center = c['center'] !== false;
      return { params: inC * (2 + (scale ? 1 : 0) + (center ? 1 : 0)), out: inShape };
    }
    case 'LayerNormalization':
      return { params: inC * ((c['scale'] !== false ? 1 : 0) + (c['center'] !== false ? 1 : 0)), out: inShape };
    case 'Flatten': {
      if (!inShape) return { params: 0, out: null };
      const rest = inShape.slice(1);
      return { params: 0, out: [inShape[0] ?? null, rest.every((d) => typeof d === 'number') ? prod(rest) : null] };
    }
    case 'Reshape': {
      const t = c['target_shape'];
      return { params: 0, out: Array.isArray(t) && t.every((d) => typeof d === 'number' && d >= 0) ? [null, ...(t as number[])] : null };
    }
    case 'Add':
    case 'Subtract':
    case 'Multiply':
    case 'Average':
    case 'Maximum':
    case 'Minimum':
    case 'Activation':
    case 'ReLU':
    case 'LeakyReLU':
    case 'ELU':
    case 'Softmax':
    case 'ThresholdedReLU':
    case 'Dropout':
    case 'SpatialDropout1D':
    case 'SpatialDropout2D':
    case 'AlphaDropout':
    case 'GaussianDropout':
    case 'GaussianNoise':
    case 'ActivityRegularization':
      return { params: 0, out: inShape };
    case 'MaxPooling1D':
    case 'MaxPooling2D':
    case 'AveragePooling1D':
    case 'AveragePooling2D':
    case 'ZeroPadding2D':
    case 'Cropping2D':
    case 'UpSampling2D':
      // Spatial sizes change; channels do not.
      return { params: 0, out: inShape && channelsLast ? [...inShape.slice(0, -1).map(() => null), lastDim(inShape)] : null };
    case 'GlobalAveragePooling1D':
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling1D':
    case 'GlobalMaxPooling2D':
      return { params: 0, out: inShape && channelsLast ? [inShape[0] ?? null, lastDim(inShape)] : null };
    default:
      // Unknown weights (0 as a lower bound), unknown output shape.
      return { params: 0, out: null };
  }
}

/** The layers and kind of a (possibly nested) model config. */
function modelOf(node: Obj): { cls: string; layers: Obj[]; config: Obj | null } | null {
  const root = isObject(node['model_config']) ? (node['model_config'] as Obj) : node;
  const cls = root['class_name'];
  if (typeof cls !== 'string') return null;
  const config = root['config'];
  if (Array.isArray(config)) return { cls, layers: config.filter(isObject), config: null };
  if (!isObject(config) || !Array.isArray(config['layers'])) return null;
  return { cls, layers: config['layers'].filter(isObject), config };
}

function layerName(l: Obj): string | null {
  const n = l['name'] ?? (isObject(l['config']) ? l['config']['name'] : undefined);
  return typeof n === 'string' ? n : null;
}

/** [layer, nodeIndex] references in an inbound node, in the Keras 2 or Keras 3 format. */
function referencesIn(node: unknown, out: [string, number][], depth = 0): void {
  if (depth > 8) return;
  if (Array.isArray(node)) {
    if (node.length >= 2 && typeof node[0] === 'string' && typeof node[1] === 'number') {
      out.push([node[0], node[1]]);
      return;
    }
    for (const x of node) referencesIn(x, out, depth + 1);
    return;
  }
  if (isObject(node)) {
    const c = node['config'];
    if (isObject(c) && Array.isArray(c['keras_history'])) referencesIn(c['keras_history'], out, depth + 1);
    else for (const k of ['args', 'kwargs']) if (node[k] !== undefined) referencesIn(node[k], out, depth + 1);
  }
}

/**
 * Checks a topology's graph (see module comment) and returns the lower bound of the weights
 * it implies (elements, all layers, trainable or not).
 */
export function checkTopologyGraph(topology: unknown, file: string): number {
  const bad = (why: string): never => {
    throw new InputError(`checkpoint: ${file} has a model topology that cannot be built: ${why}; the file is damaged or was edited by hand`);
  };
  const visit = (node: Obj, depth: number, inShape: Shape): { params: number; out: Shape } => {
    if (depth > MAX_DEPTH) bad(`models nested more than ${MAX_DEPTH} deep`);
    const m = modelOf(node);
    if (!m) return { params: 0, out: null };
    const isSequential = m.cls === 'Sequential';
    const names = new Map<string, Obj>();
    for (const l of m.layers) {
      const n = layerName(l);
      if (n === null) {
        if (!isSequential) bad('a layer of a functional model has no name');
        continue;
      }
      if (names.has(n)) bad(`two layers are named '${n}'`);
      names.set(n, l);
    }
    const estimate = (l: Obj, s: Shape): LayerEstimate => {
      const cls = typeof l['class_name'] === 'string' ? l['class_name'] : '';
      const c = isObject(l['config']) ? l['config'] : {};
      if (modelOf(l)) return visit(l, depth + 1, s);
      if (cls === 'TimeDistributed' || cls === 'Bidirectional') return { params: 0, out: null };
      return estimateLayer(cls, c, s ?? (cls === 'InputLayer' ? null : batchInputShape(c)));
    };
    let params = 0;
    if (isSequential || m.config === null) {
      let s: Shape = inShape;
      for (const l of m.layers) {
        const c = isObject(l['config']) ? l['config'] : {};
        const e = estimate(l, batchInputShape(c) ?? s);
        params += e.params;
        s = e.out;
      }
      return { params, out: s };
    }
    // Functional: nodes (layer, k) and their inbound references.
    const nodeCount = (l: Obj): number => {
      const ib = l['inbound_nodes'];
      return Array.isArray(ib) && ib.length > 0 ? ib.length : 1;
    };
    const deps = new Map<string, [string, number][]>();
    for (const [n, l] of names) {
      const ib = Array.isArray(l['inbound_nodes']) ? l['inbound_nodes'] : [];
      ib.forEach((node, k) => {
        const refs: [string, number][] = [];
        referencesIn(node, refs);
        for (const [r, ri] of refs) {
          const target = names.get(r);
          if (!target) bad(`layer '${n}' takes its input from '${r}', which is not a layer of the model`);
          if (!Number.isInteger(ri) || ri < 0 || ri >= nodeCount(target!)) bad(`layer '${n}' takes its input from node ${ri} of '${r}', which has ${nodeCount(target!)}`);
        }
        deps.set(`${n}#${k}`, refs);
      });
    }
    for (const key of ['input_layers', 'output_layers']) {
      const list = m.config[key];
      if (list === undefined) continue;
      const refs: [string, number][] = [];
      referencesIn(list, refs);
      for (const [r, ri] of refs) {
        if (!names.has(r)) bad(`${key} names '${r}', which is not a layer of the model`);
        if (ri < 0 || ri >= nodeCount(names.get(r)!)) bad(`${key} names node ${ri} of '${r}', which has ${nodeCount(names.get(r)!)}`);
      }
    }
    // Depth-first search for a cycle (iterative: a hostile file may be deep), with a
    // topological order for the shape estimates.
    const state = new Map<string, 1 | 2>();
    const order: string[] = [];
    for (const start of deps.keys()) {
      if (state.has(start)) continue;
      const stack: [string, number][] = [[start, 0]];
      state.set(start, 1);
      while (stack.length > 0) {
        const top = stack[stack.length - 1]!;
        const refs = deps.get(top[0]) ?? [];
        if (top[1] < refs.length) {
          const [r, ri] = refs[top[1]++]!;
          const key = `${r}#${ri}`;
          if (!deps.has(key)) continue; // an input node
          const st = state.get(key);
          if (st === 1) bad(`its layers form a cycle through '${r}'`);
          if (st === undefined) {
            state.set(key, 1);
            stack.push([key, 0]);
          }
        } else {
          state.set(top[0], 2);
          order.push(top[0]);
          stack.pop();
        }
      }
    }
    // Weights: each layer once, from the shape at its first node.
    const outShape = new Map<string, Shape>();
    const counted = new Set<string>();
    for (const [n, l] of names) {
      if (deps.has(`${n}#0`) || l['class_name'] !== 'InputLayer') continue;
      outShape.set(`${n}#0`, batchInputShape(isObject(l['config']) ? l['config'] : {}));
      counted.add(n);
    }
    for (const key of order) {
      const n = key.slice(0, key.lastIndexOf('#'));
      const refs = deps.get(key) ?? [];
      const first = refs[0];
      const s = first ? (outShape.get(`${first[0]}#${first[1]}`) ?? null) : null;
      const e = estimate(names.get(n)!, s);
      outShape.set(key, e.out);
      if (!counted.has(n)) {
        counted.add(n);
        params += e.params;
      }
    }
    for (const [n, l] of names) if (!counted.has(n)) params += estimate(l, null).params;
    return { params, out: null };
  };
  if (!isObject(topology)) return 0;
  return visit(topology, 0, null).params;
}

/**
 * Refuses a topology whose implied weights exceed the manifest's (`manifestElements`, the
 * elements of its model weights), before tfjs builds and initialises them.
 */
export function checkTopologyAgainstManifest(topology: unknown, manifestElements: number, file: string): void {
  const implied = checkTopologyGraph(topology, file);
  // A small excess is left to the exact check after the build, whose message names the
  // weight; only what could cost real memory is refused here.
  if (implied > manifestElements + BUILD_SLACK) {
    throw new InputError(
      `checkpoint: the topology in ${file} implies at least ${implied} weights but its weights manifest holds ${manifestElements}; the topology and the weights do not match (the file is damaged or was edited by hand)`,
    );
  }
}
