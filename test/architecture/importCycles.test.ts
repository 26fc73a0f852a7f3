/**
 * No import cycles between the modules of src/ (static imports and re-exports, `import type`
 * included): each of the three the facades had with their items (hessian, ball, volume) went
 * once the result types moved to src/results.
 */
import test from 'ava';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { importCycles, importGraph, importsOf } from './importCycles.ts';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

test('src/ has no import cycle', (t) => {
  const cycles = importCycles(importGraph(SRC)).map((c) => c.map((f) => path.relative(SRC, f)).join(' <-> '));
  t.deepEqual(cycles, []);
});

test('the checker finds a cycle, reads multi-line and type imports, and ignores dynamic ones', (t) => {
  const a = '/x/a.ts';
  t.deepEqual(importsOf(a, "import {\n  b,\n  c,\n} from './b.ts';\nimport type { D } from '../d.ts';\nexport { e } from './e.ts';\nconst f = await import('./f.ts');\nimport 'node:fs';"), ['/x/b.ts', '/d.ts', '/x/e.ts']);
  const g = new Map([
    ['a', ['b']],
    ['b', ['c']],
    ['c', ['a']],
    ['d', ['a']],
    ['e', ['e']],
  ]);
  t.deepEqual(importCycles(g).map((c) => c.join(',')).sort(), ['a,b,c', 'e']);
});
