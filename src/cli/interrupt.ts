import { messages } from '../messages.ts';
import { EXIT_INTERRUPTED } from './handleError.ts';

/**
 * The signals that stop a command the way Ctrl-C does (progress saved, partial results
 * named) and the exit status of each: 128 + the signal number, as a shell reports a process
 * killed by it. SIGTERM is what `kill`, Slurm preemption and `docker stop` send, so a
 * preempted job keeps its work and its scheduler sees 143.
 */
export const STOP_SIGNALS = { SIGINT: EXIT_INTERRUPTED, SIGTERM: 143 } as const;
export type StopSignal = keyof typeof STOP_SIGNALS;

/**
 * Called on Ctrl-C (or SIGTERM). Returns a line that says where the partial results are (e.g.
 * "partial results: reports/x/landscape.json (120 of 400 points)"), or nothing.
 * Runs synchronously right before the process exits with 130, so it must not start
 * asynchronous work; long commands write partial results as they go.
 */
export type InterruptCallback = () => string | undefined | void;

export interface InterruptRegistry {
  /** Registers a callback; returns a function that removes it (call it when the work is done). */
  onInterrupt(callback: InterruptCallback): () => void;
  /**
   * What SIGINT (and SIGTERM) does: prints "interrupted" and each callback's line, then exits
   * with 130 (143 for SIGTERM).
   */
  interrupt(signal?: StopSignal): void;
}

export function createInterruptRegistry(io: {
  write: (line: string) => void;
  exit: (code: number) => void;
}): InterruptRegistry {
  const callbacks = new Set<InterruptCallback>();
  let interrupting = false;
  return {
    onInterrupt(callback) {
      callbacks.add(callback);
      return () => {
        callbacks.delete(callback);
      };
    },
    interrupt(signal: StopSignal = 'SIGINT') {
      const status = STOP_SIGNALS[signal];
      // A second Ctrl-C while the callbacks run exits at once.
      if (interrupting) return io.exit(status);
      interrupting = true;
      io.write(signal === 'SIGINT' ? messages.interrupted() : `${messages.interrupted()} (${signal})`);
      // Most recent first, like nested cleanups.
      for (const cb of [...callbacks].reverse()) {
        try {
          const line = cb();
          if (typeof line === 'string' && line !== '') io.write(messages.error(line));
        } catch (e) {
          io.write(messages.error(`could not report partial results: ${(e as Error)?.message ?? String(e)}`));
        }
      }
      io.exit(status);
    },
  };
}

const processRegistry = createInterruptRegistry({
  write: (line) => process.stderr.write(`${line}\n`),
  exit: (code) => process.exit(code),
});

let installed = false;
/** Installs the process's SIGINT and SIGTERM handlers (done once, by main). */
export function installInterruptHandler(): void {
  if (installed) return;
  installed = true;
  for (const signal of Object.keys(STOP_SIGNALS) as StopSignal[]) process.on(signal, () => processRegistry.interrupt(signal));
}

/**
 * For long commands: `const done = onInterrupt(() => \`partial results: ${path}\`);`
 * ... work ... `done();`
 */
export function onInterrupt(callback: InterruptCallback): () => void {
  return processRegistry.onInterrupt(callback);
}
