/**
 * Upper bounds of the count options, in one place, and the one check of an integer option.
 * A count beyond its bound would make an item list, a grid or a bootstrap that no machine
 * holds (V8 aborts with exit 133/134) or a run that never ends; the bounds are generous for
 * real use and documented in the README.
 */
import { UsageError } from './errors.ts';

export const COUNT_LIMITS = {
  probes: 100_000,
  directions: 100_000,
  /** ball: random points of the set (items of 8). */
  samples: 1_000_000,
  restarts: 10_000,
  bootstrap: 100_000,
  'grid-points': 100_000,
  /** hessian: Lanczos steps per SLQ run; ball: ascent steps per start. */
  steps: 100_000,
  runs: 10_000,
  'max-iter': 1_000_000,
  'top-k': 10_000,
  workers: 1_024,
  /** landscape: points of a whole grid (an axis holds at most 100,000). */
  'grid-size': 1_000_000,
} as const;
export type CountOption = keyof typeof COUNT_LIMITS;

function show(v: unknown): string {
  if (typeof v === 'string') return v === '' ? '""' : v;
  if (typeof v === 'boolean') return '(no value)';
  return String(v);
}

/**
 * The one integer check: `value` must be an integer in [min, max] (max Infinity: no upper
 * bound). The message names where, the option with its dashes, the range and the value:
 * "hessian: --probes must be an integer in 1..100000, got 1000000000". `where` may be ''.
 */
export function integerInRange(where: string, option: string, value: unknown, min: number, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Infinity ? `>= ${min}` : `in ${min}..${max}`;
    const name = option.startsWith('-') || option.includes(' ') || option === option.toUpperCase() ? option : `--${option}`;
    throw new UsageError(`${where === '' ? '' : `${where}: `}${name} must be an integer ${range}, got ${show(value)}`);
  }
  return value;
}

/** A count option, checked against its documented bound. */
export function countOption(where: string, option: CountOption, value: unknown, min: number): number {
  return integerInRange(where, option, value, min, COUNT_LIMITS[option]);
}
