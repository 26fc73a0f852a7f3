/**
 * Computing the items of a landscape: one after the other, handing each result to the
 * caller at once (to save progress), and yielding to the event loop between items so
 * that Ctrl-C is handled. The order does not affect any value (see createLandscape).
 */
import type { Landscape } from './createLandscape.ts';
import type { ItemRecord } from './landscapeTypes.ts';
import { pickValues } from './assembleLandscape.ts';
import { progressLine as progressLineOf } from '../parallel/progressLine.ts';

export interface ComputeItemsOptions {
  /** Called after each item with its record and how many of `indices` are done. */
  onItem?: (record: ItemRecord, done: number, total: number) => void | Promise<void>;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Evaluates `indices` in order; returns their records. */
export async function computeItems(landscape: Landscape, indices: readonly number[], opts: ComputeItemsOptions = {}): Promise<ItemRecord[]> {
  const out: ItemRecord[] = [];
  for (const i of indices) {
    const v = await landscape.evaluateItem(i);
    const record: ItemRecord = { i, ...pickValues(v, landscape.frame.hasEval) };
    out.push(record);
    await opts.onItem?.(record, out.length, indices.length);
    await yieldToEventLoop();
  }
  return out;
}

export { formatDuration } from '../parallel/progressLine.ts';

/** A progress line: 'landscape: 120/441 points (27%), 0.21 s each, ETA 1:07'; the last says how long it took. */
export function progressLine(done: number, total: number, elapsedSeconds: number, what = 'points'): string {
  return progressLineOf('landscape', done, total, elapsedSeconds, what);
}
