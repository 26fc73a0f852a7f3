/** `sharpness info CKPT`: what a checkpoint holds. */
import type { Argv } from 'yargs';
import type { CommandArgs } from '../command.ts';
import type { GlobalOptions } from '../globalOptions.ts';
import { printResult, startEngine } from '../output.ts';

export const command = 'info <checkpoint>';
export const describe = 'layers, parameter counts, dtypes, hash and sidecar of a checkpoint';

interface InfoOptions {
  checkpoint: string;
}

export function builder(y: Argv<GlobalOptions>): Argv<GlobalOptions & InfoOptions> {
  return y
    .positional('checkpoint', { describe: 'checkpoint directory (or its model.json)', type: 'string', demandOption: true })
    .example('$0 info runs/sgd/epoch-10', 'describe a checkpoint') as Argv<GlobalOptions & InfoOptions>;
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
  const { makeResultDocument, engineRef, writeResultDocument } = await import('../../io/resultDocument.ts');
  const { recordedOptions, checkpointRef, checkOutPath } = await import('../../analysis/openAnalysis.ts');
  const { requireLayers } = await import('../../formats/Checkpoint.ts');
  const ckpt = requireLayers(await loadCheckpoint(argv.checkpoint), 'info');
  checkOutPath(argv.out, { dirs: [ckpt.dir] });
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
