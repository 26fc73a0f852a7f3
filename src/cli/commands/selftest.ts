/**
 * `sharpness selftest`: every measure on the shipped known minima, checked against
 * closed-form goldens; or, given a checkpoint and data, the gradient and Hessian-vector
 * products of that model checked against finite differences.
 */
import type { Argv } from 'yargs';
import type { CommandArgs } from '../command.ts';
import type { GlobalOptions } from '../globalOptions.ts';
import { SELFTEST_OPTIONS } from '../options/selftestOptions.ts';
import { ANALYSIS_GROUP, ANALYSIS_OPTIONS_DATA_OPTIONAL } from '../analysisOptions.ts';
import { applyOptions, type ArgsOf } from '../options/OptionTable.ts';
import { UsageError } from '../../errors.ts';

export const command = 'selftest [checkpoint]';
export const describe =
  'verify this installation on known minima with closed-form answers, or (given a checkpoint and --data) check its gradient and HVPs against finite differences';

type SelftestCliOptions = ArgsOf<typeof ANALYSIS_OPTIONS_DATA_OPTIONAL> & ArgsOf<typeof SELFTEST_OPTIONS>;

export function builder(y: Argv<GlobalOptions>): Argv<GlobalOptions & SelftestCliOptions> {
  return applyOptions(applyOptions(y, ANALYSIS_OPTIONS_DATA_OPTIONAL, ANALYSIS_GROUP), SELFTEST_OPTIONS)
    .example('$0 selftest', 'check the default engine on the known minima')
    .example('$0 selftest runs/sgd/final --data mnist:test:500', 'check gradients and HVPs of your own model')
    .example('$0 selftest --backend wasm --json', 'check the wasm engine; the report as JSON');
}

export async function handler(argv: CommandArgs<SelftestCliOptions>): Promise<void> {
  const { CheckFailedError } = await import('../../check/CheckFailedError.ts');
  const { writeJsonAtomic } = await import('../../io/atomicWrite.ts');
  const { note, printResult, startEngine } = await import('../output.ts');
  if (argv.checkpoint !== undefined) {
    if (argv.data === undefined) throw new UsageError('selftest: checking a checkpoint needs --data (the data its loss is checked on)');
    if (argv.only !== undefined) throw new UsageError('selftest: --only picks known minima; it cannot be used with a checkpoint');
    const { guardOutput } = await import('../../io/inputPaths.ts');
    guardOutput('selftest', argv.out === undefined ? undefined : { kind: 'file', path: argv.out }, { checkpoints: [argv.checkpoint], data: [argv.data] });
    const { checkDerivatives, formatDerivativeCheck } = await import('../../check/derivativeCheck.ts');
    const { openAnalysisFor, analysisSpecOf, analysisDocument } = await import('../../analysis/openAnalysis.ts');
    const { createRng } = await import('../../engine/rng.ts');
    const engine = await startEngine(argv);
    const a = await openAnalysisFor(analysisSpecOf({ ...argv, data: argv.data, checkpoint: argv.checkpoint }), { engine });
    try {
      const result = checkDerivatives(a.objective, createRng(argv.seed), { directions: argv.directions, step: argv.step });
      const doc = analysisDocument(a, 'selftest', argv, result);
      if (argv.out) await writeJsonAtomic(argv.out, doc);
      printResult(argv, doc, () => formatDerivativeCheck(result, a.checkpoint.dir));
      if (!result.ok) throw new CheckFailedError(`selftest: the derivatives of ${a.checkpoint.dir} disagree with finite differences (see above)`);
    } finally {
      a.dispose();
    }
    return;
  }
  const { runSelftest, selectMinima } = await import('../../check/selftest.ts');
  const { loadKnownMinima } = await import('../../check/knownMinima.ts');
  const { formatSelftestReport, selftestSummary } = await import('../../check/formatSelftestReport.ts');
  const { guardOutput } = await import('../../io/inputPaths.ts');
  guardOutput('selftest', argv.out === undefined ? undefined : { kind: 'file', path: argv.out }, {});
  const only = argv.only === undefined ? undefined : argv.only.split(',').map((s) => s.trim()).filter((s) => s !== '');
  selectMinima(await loadKnownMinima(), only); // an unknown name fails before the engine starts
  const engine = await startEngine(argv);
  const report = await runSelftest({ engine, ...(only ? { only } : {}), onProgress: (line) => note(argv, line) });
  if (argv.out) await writeJsonAtomic(argv.out, report);
  printResult(argv, report, () => formatSelftestReport(report));
  if (!report.ok) throw new CheckFailedError(selftestSummary(report));
}
