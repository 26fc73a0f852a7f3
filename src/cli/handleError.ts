import { isSharpnessError } from '../errors.ts';
import { escapeControl, messages } from '../messages.ts';

/** A yargs validation failure (unknown option, bad choice, missing argument), already reworded. */
export class CommandLineError extends Error {
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message);
    this.name = 'CommandLineError';
    this.command = command;
  }
}

/** Exit statuses the CLI uses besides those carried by SharpnessError. */
export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/**
 * The one place errors become output: writes the error to stderr and returns the exit
 * status. Without `debug` that is exactly one line and never a stack trace.
 */
export function handleError(e: unknown, opts: { debug: boolean; write: (line: string) => void }): number {
  const { debug, write } = opts;
  if (e instanceof CommandLineError) {
    write(messages.usage(oneLine(e.message), e.command));
    return EXIT_USAGE;
  }
  if (isSharpnessError(e)) {
    write(messages.error(oneLine(e.message)));
    if (debug) write(stackOf(e));
    return e.exitCode;
  }
  const message = e instanceof Error ? e.message : String(e);
  if (debug) {
    write(messages.error(`internal error: ${oneLine(message)}`));
    write(stackOf(e));
  } else {
    write(messages.internal(oneLine(message)));
  }
  return EXIT_INTERNAL;
}

/** Messages are one line by contract; a library message that is not gets flattened. */
function oneLine(message: string): string {
  const s = escapeControl(message.replace(/\s*\n\s*/g, '; ').trim());
  return s === '' ? '(no message)' : s;
}

/** The stack, then the stacks of the causes. */
function stackOf(e: unknown): string {
  const lines: string[] = [];
  let cur: unknown = e;
  for (let depth = 0; cur !== undefined && depth < 8; depth++) {
    const text = cur instanceof Error ? (cur.stack ?? `${cur.name}: ${cur.message}`) : String(cur);
    lines.push(depth === 0 ? text : `Caused by: ${text}`);
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return lines.join('\n');
}
