import { compareResults, type CheckOptions, type CheckReport } from './compareResults.ts';
import { readResultDocument } from './readResultDocument.ts';

/**
 * Reads a result file and a baseline file and compares them (see compareResults); messages
 * name the files. The one call a test needs:
 *
 *   const report = await checkResultFiles('out/hessian.json', 'baselines/hessian.json', { rtol: 1e-3 });
 *   t.true(report.ok, formatCheckReport(report));
 */
export async function checkResultFiles(resultFile: string, baselineFile: string, opts: Omit<CheckOptions, 'labels'> = {}): Promise<CheckReport> {
  const [result, baseline] = await Promise.all([readResultDocument(resultFile), readResultDocument(baselineFile)]);
  return compareResults(result, baseline, { ...opts, labels: { result: resultFile, baseline: baselineFile } });
}
