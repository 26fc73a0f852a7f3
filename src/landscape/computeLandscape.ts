/**
 * Computing the items of a landscape: one after the other, handing each result to the
 * caller at once (to save progress), and yielding to the event loop between items so
 * that Ctrl-C is handled. The order does not affect any value (see createLandscape).
 */
import type { Landscape } from './createLandscape.ts';
import type { ItemRecord } from './landscapeTypes.ts';
import { pickValues } from './assembleLandscape.ts';

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

/** "mm:ss" or "h:mm:ss". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A progress line: 'landscape: 120/441 points (27%), 0.21 s each, ETA 1:07'; the last says how long it took. */
export function progressLine(done: number, total: number, elapsedSeconds: number, what = 'points'): string {
  const per = done > 0 ? elapsedSeconds / done : 0;
  if (done >= total) return `landscape: ${done}/${total} ${what} in ${formatDuration(elapsedSeconds)} (${per.toPrecision(2)} s each)`;
  const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
  const eta = done > 0 ? `, ${per.toPrecision(2)} s each, ETA ${formatDuration(per * (total - done))}` : '';
  return `landscape: ${done}/${total} ${what} (${pct}%)${eta}`;
}
