/** `sharpness selftest`: every measure on the shipped known minima, checked against closed-form goldens. */
import type { Argv } from 'yargs';
import type { CommandArgs } from '../command.ts';
import type { GlobalOptions } from '../globalOptions.ts';

export const command = 'selftest';
export const describe = 'verify this installation: run every measure on known minima and compare with their closed-form answers';

interface SelftestCliOptions {
  only: string | undefined;
}

export function builder(y: Argv<GlobalOptions>): Argv<GlobalOptions & SelftestCliOptions> {
  return y
    .option('only', { describe: 'comma-separated known minima to run (default: all)', type: 'string', requiresArg: true })
    .example('$0 selftest', 'check the default engine')
    .example('$0 selftest --backend wasm --json', 'check the wasm engine; the report as JSON') as unknown as Argv<GlobalOptions & SelftestCliOptions>;
}

export async function handler(argv: CommandArgs<SelftestCliOptions>): Promise<void> {
  const { runSelftest, selectMinima } = await import('../../check/selftest.ts');
  const { loadKnownMinima } = await import('../../check/knownMinima.ts');
  const { formatSelftestReport, selftestSummary } = await import('../../check/formatSelftestReport.ts');
  const { CheckFailedError } = await import('../../check/CheckFailedError.ts');
  const { writeJsonAtomic } = await import('../../io/atomicWrite.ts');
  const { note, printResult, startEngine } = await import('../output.ts');
  const only = argv.only === undefined ? undefined : argv.only.split(',').map((s) => s.trim()).filter((s) => s !== '');
  selectMinima(await loadKnownMinima(), only); // an unknown name fails before the engine starts
  const engine = await startEngine(argv);
  const report = await runSelftest({ engine, ...(only ? { only } : {}), onProgress: (line) => note(argv, line) });
  if (argv.out) await writeJsonAtomic(argv.out, report);
  printResult(argv, report, () => formatSelftestReport(report));
  if (!report.ok) throw new CheckFailedError(selftestSummary(report));
}
