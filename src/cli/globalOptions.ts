import type { Argv, Options } from 'yargs';
import { Backend, BACKENDS } from '../engine/backendNames.ts';
import { integerInRange } from '../limits.ts';

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

/**
 * yargs definitions. `threads` and `seed` have no yargs `type` on purpose: with
 * type 'number' yargs turns `--threads abc` into NaN, and the error could not show
 * what was typed. validateGlobalOptions checks them.
 */
export const globalOptionDefinitions = {
  backend: {
    describe: 'engine: auto picks tensorflow-gpu, then tensorflow, then wasm',
    choices: BACKENDS,
    default: Backend.auto,
    requiresArg: true,
  },
  threads: { describe: 'threads for the engine (an integer >= 1)', requiresArg: true },
  seed: { describe: 'seed for every random choice (an integer >= 0)', default: 0, requiresArg: true },
  out: { describe: 'path of the result file', type: 'string', requiresArg: true, normalize: false },
  json: { describe: 'print the result document as JSON on stdout', type: 'boolean', default: false },
  quiet: { describe: 'print nothing on stderr but errors', type: 'boolean', default: false },
  debug: { describe: 'print stack traces for errors', type: 'boolean', default: false },
} as const satisfies Record<keyof GlobalOptions, Options>;

/** Adds the global options to a yargs instance. */
export function withGlobalOptions<T>(y: Argv<T>): Argv<T & GlobalOptions> {
  return y
    .options(globalOptionDefinitions as Record<string, Options>)
    .group([...Object.keys(globalOptionDefinitions), 'help', 'version'], GLOBAL_OPTIONS_GROUP) as unknown as Argv<
    T & GlobalOptions
  >;
}

function checkInteger(option: 'threads' | 'seed', value: unknown, min: number): number {
  return integerInRange('', option, value, min);
}

/** yargs middleware: checks and normalises the global options before any handler runs. */
export function validateGlobalOptions(argv: Record<string, unknown>): void {
  if (argv.threads !== undefined) argv.threads = checkInteger('threads', argv.threads, 1);
  argv.seed = checkInteger('seed', argv.seed, 0);
}
