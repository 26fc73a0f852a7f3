import { UsageError } from '../errors.ts';

/** A glob over parameter names: `*` any run of characters (dots and slashes too), `?` one character. */
function globRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/**
 * The indices of the parameter blocks that `--params` selects: a comma-separated list of
 * globs (`layer1.*,fc.weight`, `dense_Dense1/*`), matched against the checkpoint's own
 * names. A glob that matches nothing is an error that shows some names to choose from.
 */
export function selectParams(names: readonly string[], globs: string): number[] {
  const parts = globs.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (parts.length === 0) throw new UsageError(`--params must list at least one name or glob, got '${globs}'`);
  const chosen = new Set<number>();
  for (const g of parts) {
    const re = globRegExp(g);
    const hits = names.flatMap((n, i) => (re.test(n) ? [i] : []));
    if (hits.length === 0) {
      const some = names.slice(0, 6).join(', ') + (names.length > 6 ? `, ... (${names.length} in all)` : '');
      throw new UsageError(`--params: '${g}' matches no parameter; the parameters are ${some} (sharpness info lists them)`);
    }
    for (const i of hits) chosen.add(i);
  }
  return [...chosen].sort((a, b) => a - b);
}
