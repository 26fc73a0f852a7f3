/** `sharpness check RESULT.json --baseline GOLDEN.json`: has any measure drifted from the baseline? */
import type { Argv } from 'yargs';
import type { CommandArgs } from '../command.ts';
import type { GlobalOptions } from '../globalOptions.ts';
import { applyOptions, type ArgsOf } from '../options/OptionTable.ts';
import { CHECK_OPTIONS } from '../options/checkCommandOptions.ts';

export const command = 'check <result>';
export const describe = 'compare a result file with a baseline or golden: a table of every measure, exit 1 on drift';

type CheckCliOptions = ArgsOf<typeof CHECK_OPTIONS>;

export function builder(y: Argv<GlobalOptions>): Argv<GlobalOptions & CheckCliOptions> {
  return applyOptions(y, CHECK_OPTIONS)
    .example('$0 check hessian.json --baseline baselines/hessian.json', 'exit 1 if an eigenvalue or the trace drifted')
    .example('$0 check ball.json --baseline baselines/ball.json --rtol 1e-3 --json', 'the comparison as JSON')
    .example('$0 check hessian.json --baseline baselines/hessian.json --update', 'accept the new values');
}

export async function handler(argv: CommandArgs<CheckCliOptions>): Promise<void> {
  const { compareResults, resolveCheckOptions } = await import('../../check/compareResults.ts');
  const { readResultDocument } = await import('../../check/readResultDocument.ts');
  const { formatCheckReport } = await import('../../check/formatCheckReport.ts');
  const { CheckFailedError } = await import('../../check/CheckFailedError.ts');
  const { writeJsonAtomic } = await import('../../io/atomicWrite.ts');
  const { printResult } = await import('../output.ts');
  const { InputError, UsageError, isSharpnessError } = await import('../../errors.ts');
  const fs = await import('node:fs/promises');

  const opts = {
    rtol: argv.rtol,
    atol: argv.atol,
    sigma: argv.sigma,
    allowDifferentCheckpoint: argv.allowDifferentCheckpoint,
    allowMissing: argv.allowMissing,
    labels: { result: argv.result, baseline: argv.baseline },
  };
  resolveCheckOptions(opts); // bad tolerances fail before any reading
  const { guardOutput, realPathOf } = await import('../../io/inputPaths.ts');
  if (argv.out !== undefined && realPathOf(argv.out) === realPathOf(argv.baseline)) {
    throw new InputError(`check: --out ${argv.out} would overwrite the baseline; use --update to rewrite the baseline`);
  }
  guardOutput('check', argv.out === undefined ? undefined : { kind: 'file', path: argv.out }, { files: [argv.result, argv.baseline] });
  if (argv.update) guardOutput('check', { kind: 'file', path: argv.baseline }, { files: [argv.result] });
  const result = await readResultDocument(argv.result);

  if (argv.update) {
    // Deliberate: compare for the record when the old baseline is readable, then replace it.
    let report = null;
    let why = '';
    const exists = await fs.stat(argv.baseline).then(
      () => true,
      () => false,
    );
    if (exists) {
      let old = null;
      try {
        old = await readResultDocument(argv.baseline);
      } catch (e) {
        if (!isSharpnessError(e)) throw e;
        why = e.message; // a damaged baseline is what --update replaces
      }
      // A baseline guards one command's measures: replacing it by another command's result
      // would silently drop every check it held.
      if (old !== null && old.command !== result.command) {
        throw new UsageError(
          `check: --update would replace ${argv.baseline}, a ${old.command} baseline (${old.schema}), with ${argv.result}, a ${result.command} result (${result.schema}); update a baseline from a result of the same command, or give another --baseline`,
        );
      }
      if (old !== null) {
        try {
          report = compareResults(result, old, { ...opts, allowDifferentCheckpoint: true });
        } catch (e) {
          if (!isSharpnessError(e)) throw e;
          why = e.message;
        }
      }
    }
    await writeJsonAtomic(argv.baseline, result);
    const said = `check: updated ${argv.baseline} from ${argv.result}${report ? ` (${report.counts.drift} measure${report.counts.drift === 1 ? '' : 's'} changed beyond tolerance, ${report.counts.missing} no longer measured)` : exists ? ` (the old baseline could not be compared: ${why})` : ' (new baseline)'}`;
    const out = { updated: argv.baseline, from: argv.result, report };
    if (argv.out) await writeJsonAtomic(argv.out, out);
    printResult(argv, out, () => [report ? formatCheckReport(report) : '', said].filter((s) => s !== '').join('\n'));
    return;
  }

  const baseline = await readResultDocument(argv.baseline);
  const report = compareResults(result, baseline, opts);
  if (argv.out) await writeJsonAtomic(argv.out, report);
  printResult(argv, report, () => formatCheckReport(report));
  if (!report.ok) {
    const bad = [...report.drifted.map((m) => `${m} drifted`), ...(opts.allowMissing ? [] : report.missing.map((m) => `${m} missing`))];
    const shown = bad.slice(0, 4).join(', ') + (bad.length > 4 ? `, and ${bad.length - 4} more` : '');
    throw new CheckFailedError(`check: ${argv.result} differs from ${argv.baseline}: ${shown}`);
  }
}
