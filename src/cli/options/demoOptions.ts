/** The options of `sharpness demo`, once. */
import type { OptionTable } from './OptionTable.ts';

export const DEMO_OPTIONS = {
  samples: { kind: 'number', describe: 'MNIST training images', default: 5000, check: { integer: [500, 60000] } },
  epochs: { kind: 'number', describe: 'training epochs per method', default: 10, check: { integer: [2, Infinity] } },
} as const satisfies OptionTable;
