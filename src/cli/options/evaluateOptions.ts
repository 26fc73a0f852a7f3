/** The options of `sharpness evaluate`, once. */
import type { OptionTable } from './OptionTable.ts';

export const EVALUATE_OPTIONS = {
  checkpoints: { kind: 'string', describe: 'checkpoint directories', positional: true, array: true, demand: true },
  ensemble: { kind: 'boolean', describe: 'also score the ensemble: predictions averaged in probability space', default: false },
} as const satisfies OptionTable;
