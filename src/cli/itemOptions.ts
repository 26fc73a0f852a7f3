/** The options of every command whose work is independent items (see parallel/ItemJob.ts), as one option table. */
import type { Argv } from 'yargs';
import { applyOptions, type ArgsOf, type OptionTable } from './options/OptionTable.ts';

export const ITEM_GROUP = 'Parallel and resumable runs:';

/** Seconds between progress saves (with --out). */
export const DEFAULT_SAVE_INTERVAL = 2;

export const ITEM_OPTIONS = {
  shard: {
    kind: 'string',
    describe: 'compute shard k of n (items i with i % n = k-1) into a shard document for `sharpness merge` (needs --out)',
  },
  workers: {
    kind: 'raw',
    describe: 'worker threads, each with its own engine (default: SHARPNESS_WORKERS, else the number of cores; 1 with the tensorflow backends)',
  },
  'save-interval': { kind: 'number', describe: 'seconds between progress saves', default: DEFAULT_SAVE_INTERVAL, hidden: true, requiresArg: false },
} as const satisfies OptionTable;

/** --workers is the raw value parseWorkers checks (a count or 'auto'). */
export type ItemOptions = ArgsOf<typeof ITEM_OPTIONS>;

/** Adds --shard, --workers and the hidden --save-interval. */
export function withItemOptions<T>(y: Argv<T>): Argv<T & ItemOptions> {
  return applyOptions(y, ITEM_OPTIONS, ITEM_GROUP);
}
