/**
 * The checks an option table can name, in one place, built on the one integer check of
 * src/limits.ts. Every message starts with the command the user typed and names the option
 * with its dashes and the value: "demo: --epochs must be an integer >= 2, got 1".
 */
import { UsageError } from '../../errors.ts';
import { COUNT_LIMITS, integerInRange, type CountOption } from '../../limits.ts';

export type OptionCheck =
  /** An integer in [min, COUNT_LIMITS[limit]] (the documented bound of a count). */
  | { count: CountOption; min: number }
  /** An integer in [min, max]. */
  | { integer: readonly [min: number, max: number] }
  /** A finite number > 0. */
  | 'positive'
  /** A finite number >= 0. */
  | 'non-negative';

export function checkOption(where: string, option: string, check: OptionCheck, value: unknown): unknown {
  if (check === 'positive' || check === 'non-negative') {
    const ok = typeof value === 'number' && Number.isFinite(value) && (check === 'positive' ? value > 0 : value >= 0);
    if (!ok) throw new UsageError(`${where}: --${option} must be a number ${check === 'positive' ? '> 0' : '>= 0'}, got ${String(value)}`);
    return value;
  }
  if ('count' in check) return integerInRange(where, option, value, check.min, COUNT_LIMITS[check.count]);
  return integerInRange(where, option, value, check.integer[0], check.integer[1]);
}
