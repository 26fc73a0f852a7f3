/**
 * CPU seconds (user + system) this process has spent so far; the difference of two readings
 * is the CPU time of what ran between them, less sensitive to other load than wall clock.
 */
export function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
