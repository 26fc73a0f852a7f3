import { Parser } from 'yargs/helpers';
import { messages } from '../messages.ts';

/**
 * Rewords a yargs validation message (possibly several lines) as one line that names
 * options with their dashes, e.g. "Invalid values:\n  Argument: backend, Given: "x",
 * Choices: ..." becomes `--backend must be one of "auto", ..., got "x"`.
 * `args` are the raw command-line arguments, used to tell options from positionals.
 */
export function formatUsageMessage(message: string, args: readonly string[]): string {
  const parts: string[] = [];
  for (const raw of message.split('\n')) {
    const line = raw.trim();
    if (line === '' || line === 'Invalid values:') continue;
    parts.push(rewordLine(line, args));
  }
  return parts.length > 0 ? parts.join('; ') : 'invalid command line';
}

function rewordLine(line: string, args: readonly string[]): string {
  let m = /^Argument: (.+?), Given: (.*), Choices: (.*)$/.exec(line);
  if (m) return messages.mustBeOneOf(m[1]!, m[3]!, m[2]!);
  m = /^Unknown arguments?: (.*)$/.exec(line);
  if (m) {
    const names = splitNames(m[1]!);
    const dashed = names.map((n) => asTypedOption(n, args));
    return dashed.every((d) => d !== undefined)
      ? messages.unknownOptions(dashed as string[])
      : messages.unknownArguments(names.map((n, i) => dashed[i] ?? n));
  }
  m = /^Missing required arguments?: (.*)$/.exec(line);
  if (m) return messages.missingOptions(splitNames(m[1]!).map((n) => (n.length === 1 ? `-${n}` : `--${n}`)));
  m = /^Not enough arguments following: (.*)$/.exec(line);
  if (m) return messages.needsValue(m[1]!);
  m = /^Did you mean (.*)\?$/.exec(line);
  if (m) return messages.didYouMean(firstPositional(args), m[1]!);
  return line;
}

function splitNames(list: string): string[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** The option as the user typed it (`--name` or `-n`), or undefined when it was a positional. */
function asTypedOption(name: string, args: readonly string[]): string | undefined {
  for (const a of args) {
    if (a === '--') break;
    for (const form of [`--${name}`, `--no-${name}`, `-${name}`]) {
      if (a === form || a.startsWith(`${form}=`)) return form;
    }
  }
  return undefined;
}

/** The first argument that is not an option or an option's value (a good guess at a mistyped command). */
function firstPositional(args: readonly string[]): string | undefined {
  const parsed = Parser([...args], { boolean: ['json', 'quiet', 'debug', 'help', 'version'] });
  const first = parsed._[0];
  return first === undefined ? undefined : String(first);
}
