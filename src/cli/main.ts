/**
 * The `sharpness` command line: global options, the command list, and the one place
 * errors become exit codes. Commands live in ./commands/, one file per command.
 */
import { readFileSync } from 'node:fs';
import yargs, { type Argv, type CommandModule } from 'yargs';
import { hideBin, Parser } from 'yargs/helpers';
import { messages, PROGRAM } from '../messages.ts';
import type { CommandFile } from './command.ts';
import { type GlobalOptions, validateGlobalOptions, withGlobalOptions } from './globalOptions.ts';
import { CommandLineError, EXIT_OK, handleError } from './handleError.ts';
import { installInterruptHandler } from './interrupt.ts';
import { formatUsageMessage } from './usageMessage.ts';

/**
 * Every command, in the order `--help` lists them. Adding a command is one line here.
 * A command file is a yargs command module made of named exports (see CommandFile).
 */
export const COMMANDS: readonly CommandFile[] = await Promise.all([
  import('./commands/backends.ts'),
  import('./commands/info.ts'),
  import('./commands/evaluate.ts'),
  import('./commands/train.ts'),
  import('./commands/swa.ts'),
  import('./commands/ball.ts'),
  import('./commands/volume.ts'),
  import('./commands/landscape.ts'),
  import('./commands/merge.ts'),
  import('./commands/hessian.ts'),
  import('./commands/check.ts'),
  import('./commands/selftest.ts'),
  import('./commands/report.ts'),
  import('./commands/compare.ts'),
  import('./commands/demo.ts'),
  import('./commands/run.ts'),
  import('./commands/bench.ts'),
]);

const VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const EPILOGUE = `Exit codes: 0 ok, 1 internal error or failed check, 2 usage or input error, 3 engine error, 4 numeric error, 130 interrupted (Ctrl-C), 143 stopped by SIGTERM (progress saved as for Ctrl-C).`;

/** The name of the command in `args`, if any (for "run 'sharpness <command> --help'"). */
export function commandIn(args: readonly string[]): string | undefined {
  const names = new Set(COMMANDS.map((c) => commandName(c)));
  return args.find((a) => names.has(a));
}

function commandName(c: CommandFile): string {
  const first = typeof c.command === 'string' ? c.command : c.command[0];
  return String(first ?? '').split(/\s+/)[0]!;
}

/** The yargs parser for `args`, with every command registered. Exported for tests. */
export function buildCli(args: readonly string[]): Argv<GlobalOptions> {
  const y = withGlobalOptions(yargs([...args]))
    .scriptName(PROGRAM)
    .locale('en') // error messages are reworded by formatUsageMessage; keep them stable
    .usage(`$0 <command> [options]\n\nMeasure how wide or sharp a neural network's minimum is.`)
    .strict()
    .recommendCommands()
    .demandCommand(1, messages.commandRequired())
    .middleware((argv) => validateGlobalOptions(argv as Record<string, unknown>))
    .help()
    .alias('help', 'h')
    .version(VERSION)
    .epilogue(EPILOGUE)
    .exitProcess(false)
    .fail((msg, err) => {
      // Validation failures come with `msg` only, parser errors (e.g. a missing value) as a
      // YError; errors thrown by handlers and middleware come as they were thrown.
      if (err && err.name !== 'YError') throw err;
      throw new CommandLineError(formatUsageMessage(msg ?? err?.message ?? '', args), commandIn(args));
    });
  for (const c of COMMANDS) y.command(c as unknown as CommandModule<GlobalOptions, GlobalOptions>);
  return y.wrap(Math.min(100, y.terminalWidth() || 100));
}

/** Whether --debug is on, read without yargs so it also works when parsing fails. */
function wantsDebug(args: readonly string[]): boolean {
  const cut = args.indexOf('--');
  const parsed = Parser(cut === -1 ? [...args] : args.slice(0, cut), { boolean: ['debug'] });
  return parsed.debug === true;
}

/** Runs the CLI on `args` and returns the exit status; every error is printed here. */
export async function main(args: readonly string[]): Promise<number> {
  installInterruptHandler();
  try {
    await buildCli(args).parseAsync();
    return EXIT_OK;
  } catch (e) {
    return handleError(e, { debug: wantsDebug(args), write: (line) => process.stderr.write(`${line}\n`) });
  }
}

/** Entry point used by bin/sharpness.js: runs main and exits once stdout has been flushed. */
export async function runMain(args: readonly string[] = hideBin(process.argv)): Promise<void> {
  const code = await main(args);
  // Exiting explicitly: an engine may hold handles open; the write callback waits for piped stdout.
  process.stdout.write('', () => process.exit(code));
}
