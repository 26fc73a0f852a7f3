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

/**
 * Text from inputs (layer names, sidecar fields, paths) as it may reach a terminal: C0 and
 * C1 control characters other than newline and tab are shown as \xNN / \uNNNN escapes, so
 * a checkpoint cannot move the cursor, recolour or retitle the terminal. The one place
 * printed text is escaped: note, printResult and the error handler go through it.
 */
export function escapeControl(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
