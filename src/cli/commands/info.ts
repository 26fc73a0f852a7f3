/** `sharpness info CKPT`: what a checkpoint holds. */
import type { Argv } from 'yargs';
import type { CommandArgs } from '../command.ts';
import type { GlobalOptions } from '../globalOptions.ts';
import { applyOptions, type ArgsOf } from '../options/OptionTable.ts';
import { INFO_OPTIONS } from '../options/infoOptions.ts';
import { printResult, startEngine } from '../output.ts';
import type { OnnxCheckpoint } from '../../formats/Checkpoint.ts';
import type { OnnxModel } from '../../formats/onnx/OnnxModel.ts';

export const command = 'info <checkpoint>';
export const describe = 'layers (or ONNX parameters, state, constants and ops), parameter counts, dtypes, hash and sidecar of a checkpoint';

type InfoOptions = ArgsOf<typeof INFO_OPTIONS>;

export function builder(y: Argv<GlobalOptions>): Argv<GlobalOptions & InfoOptions> {
  return applyOptions(y, INFO_OPTIONS).example('$0 info runs/sgd/epoch-10', 'describe a checkpoint');
}

export interface LayerInfo {
  name: string;
  className: string;
  outputShape: (number | null)[] | (number | null)[][];
  parameters: number;
  trainableParameters: number;
  weights: { name: string; shape: number[]; dtype: string; trainable: boolean }[];
}

export async function handler(argv: CommandArgs<InfoOptions>): Promise<void> {
  const startedAt = performance.now();
  const { guardOutput } = await import('../../io/inputPaths.ts');
  guardOutput('info', argv.out === undefined ? undefined : { kind: 'file', path: argv.out }, { checkpoints: [argv.checkpoint] });
  const engine = await startEngine(argv);
  const { loadCheckpoint } = await import('../../formats/loadCheckpoint.ts');
  const { makeResultDocument, engineRef, writeResultDocument } = await import('../../results/resultDocument.ts');
  const { recordedOptions, checkpointRef } = await import('../../analysis/openAnalysis.ts');
  const loaded = await loadCheckpoint(argv.checkpoint);
  if (loaded.format === 'onnx') {
    await onnxInfo(argv, loaded as OnnxCheckpoint<OnnxModel>, { engine, startedAt, checkpointRef, recordedOptions, makeResultDocument, engineRef, writeResultDocument });
    return;
  }
  const ckpt = loaded;
  const byName = new Map(ckpt.weights.map((w) => [w.name, w]));
  const layers: LayerInfo[] = ckpt.model.layers.map((layer) => {
    const weights = layer.weights.map((w) => {
      const known = byName.get(w.originalName) ?? byName.get(w.name);
      return { name: w.originalName, shape: w.shape as number[], dtype: w.dtype, trainable: known?.trainable ?? w.trainable };
    });
    const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
    return {
      name: layer.name,
      className: layer.getClassName(),
      outputShape: layer.outputShape as LayerInfo['outputShape'],
      parameters: weights.reduce((s, w) => s + size(w.shape), 0),
      trainableParameters: weights.filter((w) => w.trainable).reduce((s, w) => s + size(w.shape), 0),
      weights,
    };
  });
  const result = {
    format: ckpt.modelJson.format ?? null,
    generatedBy: ckpt.modelJson.generatedBy ?? null,
    convertedBy: ckpt.modelJson.convertedBy ?? null,
    className: ckpt.model.getClassName(),
    inputShape: ckpt.model.inputs.map((i) => i.shape),
    outputShape: ckpt.model.outputs.map((o) => o.shape),
    parameters: ckpt.paramCount,
    trainableParameters: ckpt.trainableParamCount,
    dtypes: [...new Set(ckpt.weights.map((w) => w.dtype))],
    sha256: ckpt.sha256,
    layers,
    sidecar: ckpt.sidecar ?? null,
  };
  const doc = makeResultDocument({
    command: 'info',
    options: recordedOptions(argv),
    seed: argv.seed,
    checkpoint: checkpointRef(ckpt),
    engine: engineRef(engine),
    result,
    cost: { seconds: (performance.now() - startedAt) / 1000, lossEvaluations: 0, gradients: 0, hvps: 0 },
  });
  if (argv.out) await writeResultDocument(argv.out, doc);
  ckpt.dispose();
  printResult(argv, doc, () => {
    const nw = Math.max(5, ...layers.map((l) => l.name.length));
    const cw = Math.max(5, ...layers.map((l) => l.className.length));
    const rows = layers.map(
      (l) => `  ${l.name.padEnd(nw)}  ${l.className.padEnd(cw)} ${String(l.parameters).padStart(10)} ${String(l.trainableParameters).padStart(10)}`,
    );
    return [
      `${ckpt.dir}  (${result.className}, ${result.format ?? 'layers-model'})`,
      `  ${'layer'.padEnd(nw)}  ${'class'.padEnd(cw)} ${'params'.padStart(10)} ${'trainable'.padStart(10)}`,
      ...rows,
      `  total ${ckpt.paramCount} parameters, ${ckpt.trainableParamCount} trainable; dtypes ${result.dtypes.join(', ')}`,
      `  sha256 ${ckpt.sha256}`,
      ckpt.sidecar ? `  sidecar ${JSON.stringify(ckpt.sidecar)}` : '  no sidecar (sharpness.json)',
    ].join('\n');
  });
}

type InfoTools = {
  engine: Awaited<ReturnType<typeof startEngine>>;
  startedAt: number;
  checkpointRef: typeof import('../../analysis/openAnalysis.ts').checkpointRef;
  recordedOptions: typeof import('../../analysis/openAnalysis.ts').recordedOptions;
  makeResultDocument: typeof import('../../results/resultDocument.ts').makeResultDocument;
  engineRef: typeof import('../../results/resultDocument.ts').engineRef;
  writeResultDocument: typeof import('../../results/resultDocument.ts').writeResultDocument;
};

/** What an ONNX graph holds: parameters (named as in the exporting code), state, constants, ops. */
async function onnxInfo(argv: CommandArgs<InfoOptions>, ckpt: OnnxCheckpoint<OnnxModel>, x: InfoTools): Promise<void> {
  const m = ckpt.onnx;
  const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  const result = {
    format: 'onnx',
    producer: m.producer,
    opset: m.opset,
    inputShape: [m.inputShape],
    outputShape: [m.outputShape],
    parameters: ckpt.paramCount,
    trainableParameters: ckpt.trainableParamCount,
    dtypes: ['float32'],
    sha256: ckpt.sha256,
    params: m.params.map((p) => ({ name: p.name, shape: p.shape, size: size(p.shape) })),
    state: m.state.map((p) => ({ name: p.name, shape: p.shape, size: size(p.shape) })),
    constants: m.constants.map((p) => ({ name: p.name, shape: p.shape, dtype: p.dtype })),
    ops: m.opCounts,
    finalActivation: m.finalActivation,
    notes: m.notes,
    sidecar: null,
  };
  const doc = x.makeResultDocument({
    command: 'info',
    options: x.recordedOptions(argv),
    seed: argv.seed,
    checkpoint: x.checkpointRef(ckpt),
    engine: x.engineRef(x.engine),
    result,
    cost: { seconds: (performance.now() - x.startedAt) / 1000, lossEvaluations: 0, gradients: 0, hvps: 0 },
  });
  if (argv.out) await x.writeResultDocument(argv.out, doc);
  ckpt.dispose();
  printResult(argv, doc, () => {
    const nw = Math.max(9, ...result.params.map((p) => p.name.length), ...result.state.map((p) => p.name.length));
    const row = (p: { name: string; shape: number[]; size: number }) => `    ${p.name.padEnd(nw)}  ${`[${p.shape.join(',')}]`.padEnd(16)} ${String(p.size).padStart(10)}`;
    const fmt = (s: (number | null)[]) => `[${s.map((d) => (d === null ? 'N' : String(d))).join(',')}]`;
    return [
      `${ckpt.dir}  (onnx, opset ${m.opset}, ${m.producer || 'unknown producer'}); input ${fmt(m.inputShape)}, output ${fmt(m.outputShape)}`,
      `  parameters (${result.params.length} tensors, ${ckpt.trainableParamCount} values):`,
      ...result.params.map(row),
      `  state (${result.state.length} tensors: BatchNorm running statistics):`,
      ...result.state.map(row),
      `  constants: ${result.constants.length} tensors`,
      `  ops: ${Object.entries(m.opCounts).map(([k, n]) => `${k} ${n}`).join(', ')}`,
      ...(m.finalActivation ? [`  ends with ${m.finalActivation}: folded into the loss where it fits (ce, bce)`] : []),
      ...m.notes.map((n) => `  note: ${n}`),
      `  sha256 ${ckpt.sha256}`,
    ].join('\n');
  });
}
