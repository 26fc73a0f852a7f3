/**
 * User-facing messages of the command-line front end, in one place. Library modules
 * word their own errors ("hessian: --top-k must be ..."); these are the CLI's frame
 * around them.
 */

/** Every line the CLI prints about an error starts with this. */
export const PROGRAM = 'sharpness';

export const messages = {
  /** A typed error: its message as is. */
  error: (message: string) => `${PROGRAM}: ${message}`,
  /** A yargs usage error, with where to look for help. */
  usage: (message: string, command?: string) =>
    `${PROGRAM}: ${message}; run '${PROGRAM}${command ? ` ${command}` : ''} --help' for usage`,
  internal: (message: string) =>
    `${PROGRAM}: internal error: ${message} (rerun with --debug for the stack trace)`,
  interrupted: () => `${PROGRAM}: interrupted`,
  commandRequired: () => 'a command is required',
  // Usage messages from yargs, reworded so each names the option with its dashes.
  mustBeOneOf: (option: string, choices: string, got: string) => `--${option} must be one of ${choices}, got ${got}`,
  unknownOptions: (names: readonly string[]) => `unknown option${names.length === 1 ? '' : 's'} ${names.join(', ')}`,
  unknownArguments: (names: readonly string[]) =>
    `unknown command or argument${names.length === 1 ? '' : 's'}: ${names.join(', ')}`,
  missingOptions: (names: readonly string[]) =>
    `missing required option${names.length === 1 ? '' : 's'} ${names.join(', ')}`,
  needsValue: (option: string) => `--${option} needs a value`,
  didYouMean: (typed: string | undefined, suggestion: string) =>
    typed === undefined ? `did you mean ${suggestion}?` : `unknown command ${typed} (did you mean ${suggestion}?)`,
} as const;
