/** The options of `sharpness demo`, once. */
import type { OptionTable } from './OptionTable.ts';

export const DEMO_OPTIONS = {
  samples: { kind: 'number', describe: 'MNIST training images', default: 4000, check: { integer: [500, 60000] } },
  epochs: { kind: 'number', describe: 'the training budget in epochs (SWA and FGE take its last quarter)', default: 12, check: { integer: [4, Infinity] } },
} as const satisfies OptionTable;
