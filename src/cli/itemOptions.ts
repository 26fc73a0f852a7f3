import type { Argv } from 'yargs';

/** The options of every command whose work is independent items (see parallel/ItemJob.ts). */
export interface ItemOptions {
  shard: string | undefined;
  workers: string | number | undefined;
  saveInterval: number;
}

export const ITEM_GROUP = 'Parallel and resumable runs:';

/** Seconds between progress saves (with --out). */
export const DEFAULT_SAVE_INTERVAL = 2;

/** Adds --shard, --workers and the hidden --save-interval. */
export function withItemOptions<T>(y: Argv<T>): Argv<T & ItemOptions> {
  return y
    .option('shard', {
      describe: 'compute shard k of n (items i with i % n = k-1) into a shard document for `sharpness merge` (needs --out)',
      type: 'string',
      requiresArg: true,
    })
    .option('workers', {
      describe: 'worker threads, each with its own engine (default: SHARPNESS_WORKERS, else the number of cores; 1 with the tensorflow backends)',
      requiresArg: true,
    })
    .option('save-interval', { describe: 'seconds between progress saves', type: 'number', default: DEFAULT_SAVE_INTERVAL, hidden: true })
    .group(['shard', 'workers'], ITEM_GROUP) as unknown as Argv<T & ItemOptions>;
}
