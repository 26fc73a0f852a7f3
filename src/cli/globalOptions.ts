import type { Argv } from 'yargs';
import { Backend, BACKENDS } from '../engine/backendNames.ts';
import { integerInRange } from '../limits.ts';
import { applyOptions, type OptionTable } from './options/OptionTable.ts';
import { DEFAULT_SEED } from '../engine/rng.ts';

/** Options every command accepts; a command's handler receives them already validated. */
export interface GlobalOptions {
  backend: Backend;
  /** Threads for the engine; undefined lets the backend decide. */
  threads: number | undefined;
  seed: number;
  /** Where to write the result file; undefined when not given. */
  out: string | undefined;
  /** Print the result document as JSON on stdout. */
  json: boolean;
  /** Nothing on stderr but errors. */
  quiet: boolean;
  /** Stack traces for errors. */
  debug: boolean;
}

export const GLOBAL_OPTIONS_GROUP = 'Global options:';

/** --threads and --seed as typed (no yargs type: with type 'number' `--threads abc` became NaN and the message could not show it). */
const checkThreads = (value: unknown): number => integerInRange('', 'threads', value, 1);
const checkSeed = (value: unknown): number => integerInRange('', 'seed', value, 0);

/** The global options, once (see options/OptionTable.ts). */
export const GLOBAL_OPTIONS = {
  backend: { kind: 'string', describe: 'engine: auto picks tensorflow-gpu, then tensorflow, then wasm', choices: BACKENDS, default: Backend.auto, requiresArg: true },
  threads: { kind: 'raw', describe: 'threads for the engine (an integer >= 1)', coerce: checkThreads },
  seed: { kind: 'raw', describe: 'seed for every random choice (an integer >= 0)', default: DEFAULT_SEED, requiresArg: true, coerce: checkSeed },
  out: { kind: 'string', describe: 'path of the result file' },
  json: { kind: 'boolean', describe: 'print the result document as JSON on stdout', default: false },
  quiet: { kind: 'boolean', describe: 'print nothing on stderr but errors', default: false },
  debug: { kind: 'boolean', describe: 'print stack traces for errors', default: false },
} as const satisfies OptionTable & Record<keyof GlobalOptions, unknown>;

/** Adds the global options to a yargs instance. */
export function withGlobalOptions<T>(y: Argv<T>): Argv<T & GlobalOptions> {
  return applyOptions(y, GLOBAL_OPTIONS, GLOBAL_OPTIONS_GROUP).group(['help', 'version'], GLOBAL_OPTIONS_GROUP);
}

/** yargs middleware: checks and normalises the global options before any handler runs (the table's coerce checks them as parsed; this is for arguments made by hand). */
export function validateGlobalOptions(argv: Record<string, unknown>): void {
  if (argv.threads !== undefined) argv.threads = checkThreads(argv.threads);
  argv.seed = checkSeed(argv.seed);
}
