/**
 * How commands talk to the user. stdout carries the result (the JSON document with
 * --json, else a short human summary); stderr carries the engine line and progress,
 * silenced by --quiet. Errors are not printed here: commands throw typed errors and
 * main prints them.
 */
import { describeEngine, initEngine, type EngineInfo } from '../engine/backend.ts';
import type { GlobalOptions } from './globalOptions.ts';

/** A line on stderr unless --quiet (progress, notes). */
export function note(argv: Pick<GlobalOptions, 'quiet'>, line: string): void {
  if (!argv.quiet) process.stderr.write(`${line}\n`);
}

/** The engine line ("engine: wasm (1 thread), tfjs 4.22.0") on stderr unless --quiet. */
export function printEngine(argv: Pick<GlobalOptions, 'quiet'>, info: EngineInfo): void {
  note(argv, describeEngine(info));
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
  if (argv.json) {
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  } else {
    const s = typeof text === 'function' ? text() : text;
    if (s !== '') process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
  }
}
