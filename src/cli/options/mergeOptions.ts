/** The options of `sharpness merge`, once. */
import type { OptionTable } from './OptionTable.ts';

export const MERGE_OPTIONS = {
  shards: { kind: 'string', describe: 'shard documents (JSON)', positional: true, array: true, demand: true },
} as const satisfies OptionTable;
