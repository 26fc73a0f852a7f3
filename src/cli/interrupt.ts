import { messages } from '../messages.ts';
import { EXIT_INTERRUPTED } from './handleError.ts';

/**
 * Called on Ctrl-C. Returns a line that says where the partial results are (e.g.
 * "partial results: reports/x/landscape.json (120 of 400 points)"), or nothing.
 * Runs synchronously right before the process exits with 130, so it must not start
 * asynchronous work; long commands write partial results as they go.
 */
export type InterruptCallback = () => string | undefined | void;

export interface InterruptRegistry {
  /** Registers a callback; returns a function that removes it (call it when the work is done). */
  onInterrupt(callback: InterruptCallback): () => void;
  /** What SIGINT does: prints "interrupted" and each callback's line, then exits with 130. */
  interrupt(): void;
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
    interrupt() {
      // A second Ctrl-C while the callbacks run exits at once.
      if (interrupting) return io.exit(EXIT_INTERRUPTED);
      interrupting = true;
      io.write(messages.interrupted());
      // Most recent first, like nested cleanups.
      for (const cb of [...callbacks].reverse()) {
        try {
          const line = cb();
          if (typeof line === 'string' && line !== '') io.write(messages.error(line));
        } catch (e) {
          io.write(messages.error(`could not report partial results: ${(e as Error)?.message ?? String(e)}`));
        }
      }
      io.exit(EXIT_INTERRUPTED);
    },
  };
}

const processRegistry = createInterruptRegistry({
  write: (line) => process.stderr.write(`${line}\n`),
  exit: (code) => process.exit(code),
});

let installed = false;
/** Installs the process's SIGINT handler (done once, by main). */
export function installInterruptHandler(): void {
  if (installed) return;
  installed = true;
  process.on('SIGINT', () => processRegistry.interrupt());
}

/**
 * For long commands: `const done = onInterrupt(() => \`partial results: ${path}\`);`
 * ... work ... `done();`
 */
export function onInterrupt(callback: InterruptCallback): () => void {
  return processRegistry.onInterrupt(callback);
}
