/** The options of `sharpness run`, once. */
import type { OptionTable } from './OptionTable.ts';

export const RUN_OPTIONS = {
  recipe: { kind: 'string', describe: 'recipe JSON, e.g. analyses/sam-vs-sgd.json', positional: true, demand: true },
} as const satisfies OptionTable;
