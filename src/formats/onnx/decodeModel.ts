/**
 * ONNX bytes -> ModelProto (onnx-proto's protobufjs decoder) and the decoded initializers,
 * with a note for every initializer converted to float32 from another float type.
 */
import onnxProto from 'onnx-proto';
import { InputError } from '../../errors.ts';
import type { HostTensor } from './HostTensor.ts';
import { dataTypeName, decodeTensor, type TensorProto } from './tensorProto.ts';

export type ModelProto = onnxProto.onnx.ModelProto;

export interface DecodedModel {
  model: ModelProto;
  /** Every initializer, in graph order, floats as float32. */
  initializers: Map<string, HostTensor>;
  notes: string[];
}

export function decodeModelProto(bytes: Uint8Array, where: string): ModelProto {
  let model: ModelProto;
  try {
    model = onnxProto.onnx.ModelProto.decode(bytes);
  } catch (e) {
    const msg = (e as Error).message?.split('\n')[0] ?? String(e);
    throw new InputError(`onnx: ${where} is not a readable ONNX model (${msg}); is the file truncated or not ONNX?`, { cause: e });
  }
  if (!model.graph) throw new InputError(`onnx: ${where} has no graph; is it an ONNX model?`);
  return model;
}

export function decodeModel(bytes: Uint8Array, where: string, external?: (tp: TensorProto) => Uint8Array): DecodedModel {
  const model = decodeModelProto(bytes, where);
  const initializers = new Map<string, HostTensor>();
  const converted = new Map<string, string[]>();
  for (const tp of model.graph!.initializer ?? []) {
    const name = tp.name ?? '';
    if (initializers.has(name)) throw new InputError(`onnx: initializer '${name}' appears twice in ${where}`);
    initializers.set(name, decodeTensor(tp, `initializer '${name}'`, external));
    const t = tp.dataType ?? 0;
    if (t === 10 || t === 11 || t === 16) converted.set(dataTypeName(t), [...(converted.get(dataTypeName(t)) ?? []), name]);
  }
  const notes = [...converted].map(
    ([dt, names]) => `${names.length} ${dt} initializer(s) converted to float32 (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', ...' : ''})`,
  );
  return { model, initializers, notes };
}
