/**
 * The documents of `sharpness compare`:
 * - `sharpness/compare-plan@1` (OUT/compare.json): the checkpoints and settings of a
 *   comparison, read back by a rerun to continue it;
 * - `sharpness/compare@1`, what the command prints: where the report and the results are.
 */
import { parseJsonText } from '../io/parseJsonText.ts';
import { anyJson, array, literal, object, record, string, type Infer } from './schema.ts';
import { validateJson } from './validateJson.ts';

export const COMPARE_PLAN_TAG = 'sharpness/compare-plan@1';
export const COMPARE_TAG = 'sharpness/compare@1';

export const comparePlanSchema = object(
  { schema: literal(COMPARE_PLAN_TAG), checkpoints: array(string()), settings: record(anyJson()) },
  // checkpointSha256: the content hash of each checkpoint (plans of earlier versions lack it).
  { seed: anyJson(), loss: anyJson(), bn: anyJson(), l2: anyJson(), checkpointSha256: array(string()) },
);

export const compareSchema = object({ schema: literal(COMPARE_TAG), index: string(), results: string() });

/** The plan in the text of `file` (an existing OUT/compare.json); InputError naming the first bad field. */
export function parseComparePlan(text: string, file: string): Infer<typeof comparePlanSchema> {
  return validateJson(comparePlanSchema, parseJsonText(text, file, 'compare: '), file, 'compare: ', 'comparison plan', 'delete it or use another --out');
}
