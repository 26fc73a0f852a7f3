/**
 * Opens an ONNX model: safe file reading, validation before anything is built (opset,
 * unsupported ops, non-finite initializers, DAG, one input and one output), then the
 * differentiable model. Every failure is one InputError line naming the node or tensor.
 */
import onnxProto from 'onnx-proto';
import { tf, type Tensor } from '../../engine/tf.ts';
import { InputError } from '../../errors.ts';
import { createSha256, updateHash } from '../../io/sha256.ts';
import { isHost } from './HostTensor.ts';
import { decodeModel, decodeModelProto } from './decodeModel.ts';
import { OnnxGraph, defaultOpset } from './OnnxGraph.ts';
import type { OnnxModel, OnnxTensorInfo, OnnxForwardOptions } from './OnnxModel.ts';
import { locateOnnx, readExternalData, readModelBytes } from '../../io/onnxFiles.ts';
import { DataType, byteSize, encodeFloat32, toNumber, type TensorProto } from './tensorProto.ts';
import type { Value } from './ops/value.ts';

/** The ai.onnx opsets whose semantics the op table implements. */
export const MIN_OPSET = 13;
export const MAX_OPSET = 17;

/** Batch size of the load-time trial run (checks the graph runs and follows the batch). */
const TRIAL_BATCH = 2;

export async function loadOnnx(pathArg: string): Promise<OnnxModel> {
  const { file, dir } = await locateOnnx(pathArg);
  const bytes = await readModelBytes(file, dir, file !== pathArg);
  const proto = decodeModelProto(bytes, file);
  const externalTensors = (proto.graph?.initializer ?? []).filter((tp) => tp.dataLocation === onnxProto.onnx.TensorProto.DataLocation.EXTERNAL);
  const entries = (tp: (typeof externalTensors)[number]) => new Map((tp.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const externalBytes = await readExternalData(
    externalTensors.map((tp) => ({
      name: tp.name ?? '?',
      location: entries(tp).get('location'),
      offset: entries(tp).get('offset'),
      length: entries(tp).get('length'),
      need: (tp.dims ?? []).reduce<number>((a, d) => a * toNumber(d), 1) * byteSize(tp.dataType ?? 0),
    })),
    dir,
    file,
  );
  const external = new Map(externalTensors.map((tp, k) => [tp, externalBytes[k]!]));
  return createOnnxModel(bytes, file, external);
}

function info(name: string, shape: readonly number[], dtype: string): OnnxTensorInfo {
  return { name, shape: [...shape], dtype };
}

/** Builds the model from bytes already read (external data by TensorProto of a decode of the same bytes). */
export function createOnnxModel(bytes: Uint8Array, file: string, external: ReadonlyMap<TensorProto, Uint8Array> = new Map()): OnnxModel {
  // External bytes are keyed by the TensorProto objects of the first decode; match by name.
  const externalByName = new Map([...external].map(([tp, b]) => [tp.name ?? '', b]));
  const getExternal = (tp: TensorProto): Uint8Array => {
    const b = externalByName.get(tp.name ?? '');
    if (!b) throw new InputError(`onnx: external data of initializer '${tp.name}' in ${file} was not read`);
    return b;
  };
  const probe = decodeModelProto(bytes, file);
  const opset = defaultOpset(probe);
  if (opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new InputError(
      `onnx: ${file} imports ai.onnx opset ${opset}; sharpness supports opsets ${MIN_OPSET} to ${MAX_OPSET} (re-export with torch.onnx.export(..., opset_version=${MIN_OPSET + 1}))`,
    );
  }
  const decoded = decodeModel(bytes, file, getExternal);
  const graph = new OnnxGraph(decoded.model, decoded.initializers, file);
  if (graph.inputs.length !== 1) {
    throw new InputError(
      `onnx: ${file} has ${graph.inputs.length} graph inputs that are not initializers (${graph.inputs.map((i) => `'${i.name}'`).join(', ')}); sharpness needs exactly one (the data)`,
    );
  }
  if (graph.outputs.length !== 1) {
    throw new InputError(
      `onnx: ${file} has ${graph.outputs.length} graph outputs (${graph.outputs.map((o) => `'${o.name}'`).join(', ')}); sharpness needs exactly one (re-export with a single output)`,
    );
  }
  const input = graph.inputs[0]!;
  const output = graph.outputs[0]!;
  if (input.shape.length === 0 || input.shape.slice(1).some((d) => d === null)) {
    throw new InputError(
      `onnx: input '${input.name}' of ${file} has shape [${input.shape.map((d) => d ?? '?').join(',')}]; every dim but the batch dim must be fixed`,
    );
  }
  const intInput = /int/.test(input.dtype);
  const notes = [...decoded.notes];
  const bnTraining = (decoded.model.graph?.node ?? []).filter(
    (n) => n.opType === 'BatchNormalization' && (n.attribute ?? []).some((a) => a.name === 'training_mode' && Number(a.i) === 1),
  );
  if (bnTraining.length > 0) notes.push(`${bnTraining.length} BatchNormalization node(s) were exported with training_mode=1 and always use batch statistics`);

  const shapeOf = (n: string) => [...decoded.initializers.get(n)!.shape];
  const dtypeOf = (n: string) => decoded.initializers.get(n)!.dtype;
  const params = graph.params.map((n) => info(n, shapeOf(n), 'float32'));
  const state = graph.state.map((n) => info(n, shapeOf(n), 'float32'));
  const constants = graph.constants.map((n) => info(n, shapeOf(n), dtypeOf(n)));

  // The final activation a loss can fold.
  const last = graph.producer.get(output.name);
  const feedsFor = (x: Tensor, ps: readonly Tensor[], ss: readonly Tensor[]): Map<string, Value> => {
    if (ps.length !== params.length) throw new InputError(`onnx: forward got ${ps.length} parameter tensors, the model has ${params.length}`);
    if (ss.length !== state.length) throw new InputError(`onnx: forward got ${ss.length} state tensors, the model has ${state.length}`);
    const feeds = new Map<string, Value>([[input.name, intInput && x.dtype !== 'int32' ? tf.cast(x, 'int32') : x]]);
    params.forEach((p, i) => feeds.set(p.name, ps[i]!));
    state.forEach((s, i) => feeds.set(s.name, ss[i]!));
    return feeds;
  };

  // Trial run: checks every node on real shapes, measures activations, finds the output shape.
  const batch = input.shape[0] ?? TRIAL_BATCH;
  let largest = 0;
  let outShape: number[] = [];
  const paramTensors = params.map((p) => tf.tensor(decoded.initializers.get(p.name)!.data as Float32Array, p.shape));
  const stateTensors = state.map((p) => tf.tensor(decoded.initializers.get(p.name)!.data as Float32Array, p.shape));
  try {
    tf.tidy(() => {
      const x = tf.zeros(input.shape.map((d) => d ?? batch), intInput ? 'int32' : 'float32');
      const observe = (_n: string, v: Value) => {
        if (!isHost(v) && v.dtype === 'float32') largest = Math.max(largest, v.size / batch);
      };
      largest = x.size / batch;
      const [y] = graph.run(feedsFor(x, paramTensors, stateTensors), { training: false, observe });
      if (isHost(y!)) throw new InputError(`onnx: output '${output.name}' of ${file} does not depend on the input`);
      outShape = [...y!.shape];
    });
  } finally {
    tf.dispose([...paramTensors, ...stateTensors]);
  }
  if (input.shape[0] === null && outShape[0] !== batch) {
    throw new InputError(
      `onnx: output '${output.name}' of ${file} has shape [${outShape.join(',')}] for a batch of ${batch}; the graph does not follow the batch size (export with dynamic_axes on the batch dim)`,
    );
  }
  let finalActivation: OnnxModel['finalActivation'] = null;
  if (last?.opType === 'Sigmoid') finalActivation = 'sigmoid';
  if (last?.opType === 'Softmax' || last?.opType === 'LogSoftmax') {
    const axisAttr = (last.attribute ?? []).find((a) => a.name === 'axis');
    const axis = axisAttr ? Number(axisAttr.i) : -1;
    if (axis === -1 || axis === outShape.length - 1) finalActivation = last.opType === 'Softmax' ? 'softmax' : 'logsoftmax';
  }
  const logitsName = finalActivation !== null ? last!.input![0]! : output.name;

  const h = createSha256();
  updateHash(h, bytes);
  for (const tp of decoded.model.graph?.initializer ?? []) {
    const b = externalByName.get(tp.name ?? '');
    if (b && tp.dataLocation === onnxProto.onnx.TensorProto.DataLocation.EXTERNAL) updateHash(h, b);
  }
  const sha256 = h.digest('hex');

  const model: OnnxModel = {
    file,
    sha256,
    opset,
    producer: `${decoded.model.producerName ?? ''} ${decoded.model.producerVersion ?? ''}`.trim(),
    notes,
    inputName: input.name,
    inputShape: [...input.shape],
    outputName: output.name,
    outputShape: [input.shape[0] === null ? null : outShape[0]!, ...outShape.slice(1)],
    params,
    state,
    constants,
    opCounts: { ...graph.opCounts },
    finalActivation,
    largestActivationPerSample: largest,
    initialValue(name: string): Float32Array {
      const t = decoded.initializers.get(name);
      if (!t || !(graph.params.includes(name) || graph.state.includes(name))) {
        throw new InputError(`onnx: '${name}' is not a parameter or state tensor of ${file}`);
      }
      return Float32Array.from(t.data);
    },
    forward(x: Tensor, ps: readonly Tensor[], ss: readonly Tensor[], opts: OnnxForwardOptions): Tensor {
      const [y] = graph.run(feedsFor(x, ps, ss), { training: opts.training, onBatchStats: opts.onBatchStats, fuse: opts.fuse === true }, [opts.skipFinal ? logitsName : output.name]);
      return y as Tensor;
    },
    serialize(newParams: readonly Float32Array[], newState: readonly Float32Array[]): Uint8Array {
      return serializeWith(bytes, file, getExternal, [...params, ...state], [...newParams, ...newState]);
    },
    dispose(): void {
      graph.dispose();
    },
  };
  return model;
}

/** A fresh decode of `bytes` with the given initializers replaced by float32 values and external data inlined. */
function serializeWith(
  bytes: Uint8Array,
  file: string,
  getExternal: (tp: TensorProto) => Uint8Array,
  infos: readonly OnnxTensorInfo[],
  values: readonly Float32Array[],
): Uint8Array {
  if (values.length !== infos.length) throw new InputError(`onnx: serialize got ${values.length} tensors, expected ${infos.length} (params then state)`);
  const model = decodeModelProto(bytes, file);
  const graph = model.graph!;
  const replace = new Map(infos.map((inf, i) => [inf.name, { inf, v: values[i]! }]));
  graph.initializer = (graph.initializer ?? []).map((tp) => {
    const r = replace.get(tp.name ?? '');
    if (r) {
      if (r.v.length !== r.inf.shape.reduce((a, b) => a * b, 1)) {
        throw new InputError(`onnx: serialize got ${r.v.length} values for '${r.inf.name}' of shape [${r.inf.shape.join(',')}]`);
      }
      return encodeFloat32(r.inf.name, r.inf.shape, r.v);
    }
    if (tp.dataLocation === onnxProto.onnx.TensorProto.DataLocation.EXTERNAL) {
      return onnxProto.onnx.TensorProto.create({ name: tp.name, dims: tp.dims, dataType: tp.dataType, rawData: getExternal(tp) });
    }
    return tp;
  });
  // Graph inputs that restate a replaced initializer now hold float32.
  for (const vi of graph.input ?? []) {
    const tt = vi.type?.tensorType;
    if (tt && replace.has(vi.name ?? '')) tt.elemType = DataType.FLOAT;
  }
  return onnxProto.onnx.ModelProto.encode(model).finish();
}
