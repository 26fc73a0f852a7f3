/** Creates a directory and its parents if missing (an output folder, e.g. a recipe's). */
import * as fs from 'node:fs/promises';

export async function ensureDirectory(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
}
