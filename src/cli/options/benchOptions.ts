/** The options of `sharpness bench`, once. */
import type { OptionTable } from './OptionTable.ts';

export const BENCH_OPTIONS = {
  quick: { kind: 'boolean', describe: 'MLP and CNN, 3 repetitions, 2,000 samples end to end', default: false },
  backends: { kind: 'string', describe: 'comma-separated: cpu,wasm,wasm-threads' },
  models: { kind: 'string', describe: 'comma-separated: mlp,cnn,resnet' },
} as const satisfies OptionTable;
