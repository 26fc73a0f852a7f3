/**
 * Every command's option tables, in the order its builder declares them (tests check --help
 * and the defaults against them); the global options (globalOptions.ts) come with every command.
 */
import { ANALYSIS_OPTIONS, ANALYSIS_OPTIONS_DATA_OPTIONAL, DATA_OPTIONS } from '../analysisOptions.ts';
import { ITEM_OPTIONS } from '../itemOptions.ts';
import type { OptionTable } from './OptionTable.ts';
import { BALL_OPTIONS } from './ballOptions.ts';
import { COMPARE_OPTIONS } from './compareOptions.ts';
import { DEMO_OPTIONS } from './demoOptions.ts';
import { EVALUATE_OPTIONS } from './evaluateOptions.ts';
import { HESSIAN_OPTIONS } from './hessianOptions.ts';
import { LANDSCAPE_ANALYSIS_OPTIONS, LANDSCAPE_OPTIONS } from './landscapeOptions.ts';
import { VOLUME_OPTIONS } from './volumeOptions.ts';
import { TRAIN_OPTIONS } from './trainOptions.ts';
import { SWA_OPTIONS } from './swaOptions.ts';
import { INFO_OPTIONS } from './infoOptions.ts';
import { CHECK_OPTIONS } from './checkCommandOptions.ts';
import { REPORT_OPTIONS } from './reportOptions.ts';
import { MERGE_OPTIONS } from './mergeOptions.ts';
import { SELFTEST_OPTIONS } from './selftestOptions.ts';
import { RUN_OPTIONS } from './runOptions.ts';
import { BENCH_OPTIONS } from './benchOptions.ts';
import { BACKENDS_OPTIONS } from './backendsOptions.ts';

export const OPTION_TABLES: Readonly<Record<string, readonly OptionTable[]>> = {
  hessian: [ITEM_OPTIONS, ANALYSIS_OPTIONS, HESSIAN_OPTIONS],
  ball: [ITEM_OPTIONS, ANALYSIS_OPTIONS, BALL_OPTIONS],
  volume: [ITEM_OPTIONS, ANALYSIS_OPTIONS, VOLUME_OPTIONS],
  landscape: [ITEM_OPTIONS, LANDSCAPE_ANALYSIS_OPTIONS, LANDSCAPE_OPTIONS],
  evaluate: [DATA_OPTIONS, EVALUATE_OPTIONS],
  compare: [DATA_OPTIONS, COMPARE_OPTIONS],
  demo: [DEMO_OPTIONS],
  train: [TRAIN_OPTIONS],
  swa: [SWA_OPTIONS],
  info: [INFO_OPTIONS],
  check: [CHECK_OPTIONS],
  report: [REPORT_OPTIONS],
  merge: [MERGE_OPTIONS],
  selftest: [ANALYSIS_OPTIONS_DATA_OPTIONAL, SELFTEST_OPTIONS],
  run: [RUN_OPTIONS],
  bench: [BENCH_OPTIONS],
  backends: [BACKENDS_OPTIONS],
};
