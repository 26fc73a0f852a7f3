/** Progress and summary lines for training (pure formatting; the CLI prints them). */
import type { IterationInfo } from './trainLoop.ts';
import type { EpochRecord, SolutionResult } from './runTraining.ts';

/** 45s, 3m05s, 1h02m. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function formatPercent(x: number | null): string {
  return x === null ? 'n/a' : `${(100 * x).toFixed(2)}%`;
}

function bar(fraction: number, width = 20): string {
  const k = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return `[${'#'.repeat(k)}${'-'.repeat(width - k)}]`;
}

/**
 * "train: epoch 2/10 [#####---------------] 26% loss 0.2713 acc 92.20% lr 0.05 ETA 1m23s".
 * The ETA extrapolates this session's time per iteration to the iterations left.
 */
export function progressLine(info: IterationInfo, epochs: number, elapsed: number, doneThisSession: number, remaining: number): string {
  const eta = doneThisSession > 0 ? (elapsed / doneThisSession) * remaining : NaN;
  const frac = info.batch / info.batches;
  const acc = info.accuracy === null ? '' : ` acc ${formatPercent(info.accuracy)}`;
  return `train: epoch ${info.epoch}/${epochs} ${bar(frac)} ${Math.round(100 * frac)}% loss ${info.loss.toFixed(4)}${acc} lr ${info.lr.toPrecision(3)} ETA ${formatDuration(eta)}`;
}

export function epochLine(r: EpochRecord, epochs: number, eta: number | null): string {
  const parts = [`train loss ${r.trainLoss.toFixed(4)}${r.trainAccuracy === null ? '' : ` acc ${formatPercent(r.trainAccuracy)}`}`];
  if (r.evalLoss !== null) parts.push(`eval loss ${r.evalLoss.toFixed(4)}${r.evalAccuracy === null ? '' : ` acc ${formatPercent(r.evalAccuracy)}`}`);
  if (r.swa && r.swa.evalLoss !== null) parts.push(`swa (${r.swa.count}) eval acc ${formatPercent(r.swa.evalAccuracy)}`);
  if (r.ensemble && r.ensemble.evalLoss !== null) parts.push(`ensemble (${r.ensemble.members}) eval acc ${formatPercent(r.ensemble.evalAccuracy)}`);
  parts.push(`lr ${r.lr.toPrecision(3)}`);
  return `train: epoch ${r.epoch}/${epochs} done in ${formatDuration(r.seconds)}: ${parts.join(', ')}${eta === null ? '' : `; ETA ${formatDuration(eta)}`}`;
}

export function solutionLine(name: string, s: SolutionResult): string {
  const where = s.path ?? `${s.members} members`;
  const tr = `train loss ${s.train.loss.toFixed(4)}${s.train.accuracy === null ? '' : ` acc ${formatPercent(s.train.accuracy)}`}`;
  const ev = s.eval ? `  eval loss ${s.eval.loss.toFixed(4)}${s.eval.accuracy === null ? '' : ` acc ${formatPercent(s.eval.accuracy)}`}` : '';
  return `${name.padEnd(9)} ${where}  ${tr}${ev}`;
}

/** Calls `fn` at most once per `intervalMs` (the first call passes). */
export function throttle<A extends unknown[]>(intervalMs: number, fn: (...args: A) => void, now: () => number = () => performance.now()): (...args: A) => void {
  let last = -Infinity;
  return (...args: A) => {
    const t = now();
    if (t - last >= intervalMs) {
      last = t;
      fn(...args);
    }
  };
}
