/** "mm:ss" or "h:mm:ss". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A progress line: 'volume: 12/40 directions (30%), 0.21 s each, ETA 0:06'; the last says how long it took. */
export function progressLine(command: string, done: number, total: number, elapsedSeconds: number, what: string): string {
  const per = done > 0 ? elapsedSeconds / done : 0;
  if (done >= total) return `${command}: ${done}/${total} ${what} in ${formatDuration(elapsedSeconds)} (${per.toPrecision(2)} s each)`;
  const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
  const eta = done > 0 ? `, ${per.toPrecision(2)} s each, ETA ${formatDuration(per * (total - done))}` : '';
  return `${command}: ${done}/${total} ${what} (${pct}%)${eta}`;
}
