/**
 * Argument checks at the public boundary of the Hessian measures. Messages name the
 * command (hessian), the option as the CLI spells it, and the bad value:
 * "hessian: --top-k must be an integer >= 1, got 0".
 */
import { UsageError } from '../errors.ts';
import { validateSeed } from '../engine/rng.ts';
import { integerInRange } from '../limits.ts';

function show(v: unknown): string {
  if (typeof v === 'string') return v === '' ? '""' : JSON.stringify(v);
  return String(v);
}

export function integerAtLeast(where: string, option: string, value: unknown, min: number): number {
  return integerInRange(where, option, value, min);
}

export function positiveNumber(where: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new UsageError(`${where}: --${option} must be a finite number > 0, got ${show(value)}`);
  }
  return value;
}

export function seedOf(where: string, seed: unknown): number {
  return validateSeed(seed, where);
}

/** --top-k: 1 <= k <= the operator's dimension. */
export function topKOf(where: string, value: unknown, dimension: number): number {
  const k = integerAtLeast(where, 'top-k', value, 1);
  if (k > dimension) {
    throw new UsageError(`${where}: --top-k must be at most the number of parameters (${dimension}), got ${k}`);
  }
  return k;
}
