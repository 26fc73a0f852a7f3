/**
 * Number formatting for tables and figure notes: 4 significant digits by default, a value
 * with an uncertainty rounded to the uncertainty's second significant digit
 * ("97.83 ± 0.15"), exponent notation for very large or small magnitudes.
 */

/** Largest number of significant digits a value is shown with next to its uncertainty. */
const MAX_DIGITS = 6;

/** `x` with `digits` significant digits, trailing zeros dropped; exponent form outside [1e-3, 1e6). */
export function formatNumber(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e6 || a < 1e-3) {
    const [m, e] = x.toExponential(digits - 1).split('e') as [string, string];
    return `${trimZeros(m)}e${e.replace('+', '')}`;
  }
  const s = x.toPrecision(digits);
  return s.includes('e') ? String(Number(s)) : trimZeros(s);
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/**
 * "value ± uncertainty", both rounded where the uncertainty's second significant digit
 * falls; the value alone when the uncertainty is null, zero or not finite.
 */
export function formatWithUncertainty(value: number, uncertainty: number | null | undefined, sep = ' ± '): string {
  if (!Number.isFinite(value)) return String(value);
  if (uncertainty === null || uncertainty === undefined || !Number.isFinite(uncertainty) || uncertainty <= 0) return formatNumber(value);
  const decimals = 1 - Math.floor(Math.log10(uncertainty));
  const magnitude = value === 0 ? 0 : Math.floor(Math.log10(Math.abs(value))) + 1;
  if (magnitude + decimals > MAX_DIGITS || Math.abs(value) >= 1e9) {
    return `${formatNumber(value, MAX_DIGITS)}${sep}${formatNumber(uncertainty, 2)}`;
  }
  if (decimals >= 0) return `${fixed(value, decimals)}${sep}${fixed(uncertainty, decimals)}`;
  const unit = 10 ** -decimals;
  return `${fixed(Math.round(value / unit) * unit, 0)}${sep}${fixed(Math.round(uncertainty / unit) * unit, 0)}`;
}

function fixed(x: number, decimals: number): string {
  const s = x.toFixed(Math.min(decimals, 20));
  return s === '-0' || /^-0\.0*$/.test(s) ? s.slice(1) : s;
}

/** "[lo, hi]" with the digits needed to tell the ends apart (at least 4). */
export function formatInterval(lo: number, hi: number): string {
  let digits = 4;
  while (digits < 10 && formatNumber(lo, digits) === formatNumber(hi, digits) && lo !== hi) digits++;
  return `[${formatNumber(lo, digits)}, ${formatNumber(hi, digits)}]`;
}
