/**
 * What a long run does as its items finish, for every command that keeps a progress file
 * (landscape and the item commands, see itemCommand.ts): save the progress atomically every
 * `saveInterval` seconds (not after the last item: the result follows at once), print a
 * progress line every 2 seconds and at the end, and on Ctrl-C save once more and say where
 * the partial results are.
 */
import type { GlobalOptions } from './globalOptions.ts';
import { onInterrupt } from './interrupt.ts';
import { note } from './output.ts';
import { writeFileAtomic, writeFileAtomicSync } from '../io/atomicWrite.ts';

export interface ProgressKeeperOptions {
  argv: Pick<GlobalOptions, 'quiet'>;
  /** undefined without --out: nothing is saved. */
  progressPath: string | undefined;
  saveInterval: number;
  /** Items this run computes. */
  total: number;
  /** Items of the whole selection (this shard), for the Ctrl-C message. */
  selectionCount: number;
  /** What the items are called ('items', 'items of shard 2/4'). */
  what: string;
  /** The progress file's text now. */
  text: () => string;
  /** Items held now, resumed ones included. */
  stored: () => number;
  /** The progress line after `done` of `total` items in `seconds`. */
  line: (done: number, total: number, seconds: number) => string;
}

export interface ProgressKeeper {
  /** Call after each finished item has been stored. */
  itemDone(): Promise<void>;
  /** Call when the run is over (removes the Ctrl-C handler). */
  release(): void;
}

export function keepProgress(o: ProgressKeeperOptions): ProgressKeeper {
  let savedCount = o.stored();
  const runStart = performance.now();
  let lastSave = runStart;
  let lastNote = runStart;
  let n = 0;
  const release = onInterrupt(() => {
    if (!o.progressPath) return `no partial results kept: run with --out to be able to resume`;
    try {
      writeFileAtomicSync(o.progressPath, o.text());
      savedCount = o.stored();
    } catch (e) {
      return `partial results: ${o.progressPath} (${savedCount} of ${o.selectionCount} ${o.what}; the last could not be saved: ${(e as Error).message}); rerun the same command to resume`;
    }
    return `partial results: ${o.progressPath} (${savedCount} of ${o.selectionCount} ${o.what}); rerun the same command to resume`;
  });
  return {
    async itemDone() {
      n++;
      const now = performance.now();
      if (o.progressPath && n < o.total && now - lastSave >= o.saveInterval * 1000) {
        await writeFileAtomic(o.progressPath, o.text());
        savedCount = o.stored();
        lastSave = performance.now();
      }
      if (n === o.total || now - lastNote > 2000) {
        lastNote = now;
        note(o.argv, o.line(n, o.total, (now - runStart) / 1000));
      }
    },
    release,
  };
}
