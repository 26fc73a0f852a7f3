/**
 * What a command file in ./commands/ exports: a yargs command module as named exports.
 *
 *   export const command = 'hessian <checkpoint>';
 *   export const describe = 'top eigenvalues, trace and spectral density of the Hessian';
 *   export function builder(y: Argv<GlobalOptions>) { return applyOptions(y, HESSIAN_OPTIONS); }
 *   export async function handler(argv: CommandArgs<ArgsOf<typeof HESSIAN_OPTIONS>>) { ... }
 *
 * its option table in ./options/ (registered in options/optionTables.ts, which the --help and
 * default tests read) and one line in main.ts's COMMANDS. `argv` holds the validated global
 * options (GlobalOptions) plus the command's own.
 */
import type { ArgumentsCamelCase, Argv } from 'yargs';
import type { GlobalOptions } from './globalOptions.ts';

/** The parsed arguments a handler receives: global options and the command's own (`A`). */
export type CommandArgs<A = object> = ArgumentsCamelCase<GlobalOptions & A>;

/**
 * The shape main.ts checks every command module against. Methods (not function
 * properties) on purpose: a handler may ask for more than GlobalOptions.
 */
export interface CommandFile {
  /** The command and its positionals, e.g. 'ball <checkpoint>'; the first word is the name. */
  command: string | readonly string[];
  /** One line for --help; false hides the command. */
  describe: string | false;
  aliases?: string | readonly string[];
  builder?(y: Argv<GlobalOptions>): Argv<unknown> | PromiseLike<Argv<unknown>>;
  handler(argv: CommandArgs): void | Promise<void>;
}
