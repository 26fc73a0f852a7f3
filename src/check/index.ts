/**
 * Regression tests on sharpness results: compare a result document with a baseline or a
 * closed-form golden (compareResults / checkResultFiles), and run every measure on the
 * shipped known minima (runSelftest). What `sharpness check` and `sharpness selftest` do,
 * as functions returning typed reports, for any test runner.
 */
export {
  CHECK_DEFAULTS,
  CLOSED_FORM,
  compareResults,
  resolveCheckOptions,
  Verdict,
  VERDICTS,
  type CheckOptions,
  type CheckReport,
  type CheckRow,
} from './compareResults.ts';
export { checkResultFiles } from './checkResultFiles.ts';
export {
  CHECKABLE_COMMANDS,
  CheckableCommand,
  extractMeasures,
  isCheckableCommand,
  MeasureKind,
  normalQuantile,
  stderrFromInterval,
  type Measure,
} from './measures.ts';
export { parseResultDocument, readResultDocument } from './readResultDocument.ts';
export { formatCheckReport } from './formatCheckReport.ts';
export { formatSelftestReport, selftestSummary } from './formatSelftestReport.ts';
export { runSelftest, selectMinima, type SelftestCase, type SelftestOptions, type SelftestRelation, type SelftestReport, type RelationRow } from './selftest.ts';
export { KNOWN_MINIMA_DIR, loadKnownMinima, type KnownMinimaManifest, type KnownMinimum } from './knownMinima.ts';
export { CheckFailedError } from './CheckFailedError.ts';
