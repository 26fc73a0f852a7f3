/**
 * How commands talk to the user. stdout carries the result (the JSON document with
 * --json, else a short human summary); stderr carries the engine line and progress,
 * silenced by --quiet. Errors are not printed here: commands throw typed errors and
 * main prints them.
 */
import { describeEngine, initEngine, type EngineInfo } from '../engine/backend.ts';
import type { GlobalOptions } from './globalOptions.ts';
import { escapeControl } from '../messages.ts';

export { escapeControl };

/** The engine line, said with the first output of the command (so a bad input prints only its error). */
let pendingEngineLine: string | null = null;

function flushEngineLine(): void {
  if (pendingEngineLine !== null) {
    process.stderr.write(`${pendingEngineLine}\n`);
    pendingEngineLine = null;
  }
}

/** A line on stderr unless --quiet (progress, notes). */
export function note(argv: Pick<GlobalOptions, 'quiet'>, line: string): void {
  if (argv.quiet) return;
  flushEngineLine();
  process.stderr.write(`${escapeControl(line)}\n`);
}

/**
 * The engine line ("engine: wasm (1 thread), tfjs 4.22.0") on stderr unless --quiet: held
 * back until the command says anything else (a note, its result), so that an input refused
 * after the engine started prints its error alone.
 */
export function printEngine(argv: Pick<GlobalOptions, 'quiet'>, info: EngineInfo): void {
  if (!argv.quiet) pendingEngineLine = describeEngine(info);
}

/** Drops an engine line not yet said (the command failed before saying anything). */
export function discardEngineLine(): void {
  pendingEngineLine = null;
}

/** Initialises the engine from --backend / --threads and prints the engine line. */
export async function startEngine(argv: Pick<GlobalOptions, 'backend' | 'threads' | 'quiet'>): Promise<EngineInfo> {
  const info = await initEngine({ backend: argv.backend, threads: argv.threads });
  printEngine(argv, info);
  return info;
}

/**
 * Prints a command's result on stdout: `doc` as JSON with --json, otherwise `text`
 * (a string or a function making it, so the summary is only built when needed).
 */
export function printResult(argv: Pick<GlobalOptions, 'json'> & { silent?: boolean }, doc: unknown, text: string | (() => string)): void {
  // `silent`: a command run as a step of another (compare, demo) writes its file only.
  if (argv.silent) return;
  flushEngineLine();
  if (argv.json) {
    // JSON escapes C0 controls itself; DEL, C1 and the line separators are escaped too.
    process.stdout.write(`${JSON.stringify(doc, null, 2).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`);
  } else {
    const s = escapeControl(typeof text === 'function' ? text() : text);
    if (s !== '') process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
  }
}
