/** The options of `sharpness info`, once. */
import type { OptionTable } from './OptionTable.ts';

export const INFO_OPTIONS = {
  checkpoint: { kind: 'string', describe: 'checkpoint: a layers-model directory (or its model.json), or an .onnx file', positional: true, demand: true },
} as const satisfies OptionTable;
