/**
 * Runs one case of ONNX's backend test suite (Debian's libonnx-testdata: a model.onnx and
 * test_data_set_0/{input,output}_*.pb) through the interpreter and compares outputs.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import { tf } from '../../../src/engine/tf.ts';
import { decodeModel } from '../../../src/formats/onnx/decodeModel.ts';
import { OnnxGraph } from '../../../src/formats/onnx/OnnxGraph.ts';
import { decodeTensor } from '../../../src/formats/onnx/tensorProto.ts';
import { isHost, type HostTensor } from '../../../src/formats/onnx/HostTensor.ts';
import { T, type Value } from '../../../src/formats/onnx/ops/value.ts';

export const SUITE_ROOT = '/usr/share/libonnx-testdata/data';
export const SUITE_DIRS = ['node', 'pytorch-converted', 'pytorch-operator'] as const;

/** Tolerance: |got - want| <= ATOL + RTOL |want| elementwise (float32 against the stored reference). */
export const ATOL = 1e-4;
export const RTOL = 1e-4;

/** Cases skipped on purpose, with the reason. */
export const KNOWN_SKIPS: Record<string, string> = {
  test_training_dropout: 'random dropout in training mode (Dropout is the identity here)',
  test_training_dropout_default: 'random dropout in training mode',
  test_training_dropout_default_mask: 'random dropout in training mode',
  test_training_dropout_mask: 'random dropout in training mode',
  test_training_dropout_zero_ratio_mask: 'random dropout in training mode',
  test_training_dropout_zero_ratio: 'random dropout in training mode',
  test_cast_FLOAT_to_FLOAT16: 'rounds to float16; values stay float32 here',
  test_cast_DOUBLE_to_FLOAT16: 'rounds to float16; values stay float32 here',
  test_cast_FLOAT_to_BFLOAT16: 'rounds to bfloat16; values stay float32 here',
  test_cast_BFLOAT16_to_FLOAT: 'bfloat16 inputs',
  test_castlike_FLOAT_to_FLOAT16_expanded: 'rounds to float16',
  test_castlike_DOUBLE_to_FLOAT16_expanded: 'rounds to float16',
  test_castlike_FLOAT_to_BFLOAT16_expanded: 'rounds to bfloat16',
  test_castlike_BFLOAT16_to_FLOAT_expanded: 'bfloat16 inputs',
};

export interface CaseResult {
  name: string;
  status: 'pass' | 'fail' | 'skip';
  reason?: string;
  ops: string[];
}

export function listCases(): string[] {
  return SUITE_DIRS.flatMap((d) =>
    existsSync(`${SUITE_ROOT}/${d}`)
      ? readdirSync(`${SUITE_ROOT}/${d}`)
          .filter((c) => existsSync(`${SUITE_ROOT}/${d}/${c}/model.onnx`))
          .map((c) => `${d}/${c}`)
      : [],
  );
}

function readTensor(file: string): HostTensor {
  return decodeTensor(onnxProto.onnx.TensorProto.decode(readFileSync(file)), file);
}

function compare(got: Value, want: HostTensor): string | undefined {
  const shape = got.shape;
  if (shape.join(',') !== want.shape.join(',')) return `shape [${shape.join(',')}], expected [${want.shape.join(',')}]`;
  const data = isHost(got) ? Array.from(got.data) : Array.from(got.dataSync());
  for (let i = 0; i < data.length; i++) {
    const g = Number(data[i]);
    const w = want.data[i]!;
    if (Number.isNaN(w) && Number.isNaN(g)) continue;
    if (g === w) continue;
    if (!(Math.abs(g - w) <= ATOL + RTOL * Math.abs(w))) return `element ${i}: ${g}, expected ${w}`;
  }
  return undefined;
}

/**
 * Runs one case. Float inputs are fed as engine tensors; if an op needs one of them as a
 * constant (Clip bounds, Range, Pad value given as graph inputs) the case is rerun with
 * host inputs.
 */
export function runCase(id: string): CaseResult {
  const name = id.split('/')[1]!;
  const dir = `${SUITE_ROOT}/${id}`;
  let graph: OnnxGraph;
  let ops: string[] = [];
  try {
    const d = decodeModel(readFileSync(`${dir}/model.onnx`), id);
    ops = [...new Set((d.model.graph?.node ?? []).map((n) => n.opType ?? ''))];
    if (KNOWN_SKIPS[name]) return { name: id, status: 'skip', reason: KNOWN_SKIPS[name], ops };
    const nonTensor = (d.model.graph?.input ?? []).find((v) => !v.type?.tensorType);
    if (nonTensor) return { name: id, status: 'skip', reason: `input '${nonTensor.name}' is not a tensor (sequence / optional)`, ops };
    graph = new OnnxGraph(d.model, d.initializers, id);
  } catch (e) {
    return { name: id, status: 'skip', reason: (e as Error).message, ops };
  }
  try {
    const ds = `${dir}/test_data_set_0`;
    let inputs: HostTensor[];
    let wants: HostTensor[];
    try {
      inputs = graph.inputs.map((_, i) => readTensor(`${ds}/input_${i}.pb`));
      wants = graph.outputs.map((_, i) => readTensor(`${ds}/output_${i}.pb`));
    } catch (e) {
      graph.dispose();
      return { name: id, status: 'skip', reason: `test data: ${(e as Error).message}`, ops };
    }
    const attempt = (hostFeeds: boolean): string | undefined =>
      tf.tidy(() => {
        const feeds = new Map<string, Value>();
        graph.inputs.forEach((inp, i) => feeds.set(inp.name, hostFeeds || inputs[i]!.dtype !== 'float32' ? inputs[i]! : T(inputs[i]!)));
        for (const p of [...graph.params, ...graph.state]) feeds.set(p, T(graph.initializer(p)!));
        const outs = graph.run(feeds, { training: false });
        for (let i = 0; i < outs.length; i++) {
          const err = compare(outs[i]!, wants[i]!);
          if (err) return `output ${i}: ${err}`;
        }
        return undefined;
      });
    let err: string | undefined;
    try {
      err = attempt(false);
    } catch (e) {
      if (!/must be a constant/.test((e as Error).message)) throw e;
      err = attempt(true);
    }
    graph.dispose();
    return err ? { name: id, status: 'fail', reason: err, ops } : { name: id, status: 'pass', ops };
  } catch (e) {
    graph.dispose();
    const msg = (e as Error).message;
    // An attribute combination the interpreter refuses by design is a skip, anything else a failure.
    if (/is not supported|are supported/.test(msg)) return { name: id, status: 'skip', reason: msg, ops };
    return { name: id, status: 'fail', reason: msg, ops };
  }
}
