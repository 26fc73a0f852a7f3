/** Every command's option tables, in the order its builder declares them (tests check --help and the defaults against them). */
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

export const OPTION_TABLES: Readonly<Record<string, readonly OptionTable[]>> = {
  hessian: [ITEM_OPTIONS, ANALYSIS_OPTIONS, HESSIAN_OPTIONS],
  ball: [ITEM_OPTIONS, ANALYSIS_OPTIONS, BALL_OPTIONS],
  volume: [ITEM_OPTIONS, ANALYSIS_OPTIONS, VOLUME_OPTIONS],
  landscape: [ITEM_OPTIONS, LANDSCAPE_ANALYSIS_OPTIONS, LANDSCAPE_OPTIONS],
  evaluate: [DATA_OPTIONS, EVALUATE_OPTIONS],
  compare: [DATA_OPTIONS, COMPARE_OPTIONS],
  demo: [DEMO_OPTIONS],
};

/** Tables that only some commands' parts use (selftest's optional --data). */
export const OTHER_TABLES: readonly OptionTable[] = [ANALYSIS_OPTIONS_DATA_OPTIONAL];
