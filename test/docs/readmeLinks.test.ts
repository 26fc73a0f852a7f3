/**
 * Every file the README links to or shows (relative links and images, e.g. the figure
 * gallery from reports/example/) is in the repository, and every PNG there is a real PNG.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';

const root = path.resolve(import.meta.dirname, '../..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const targets = [...readme.matchAll(/\]\(([^)\s#]+)(?:#[^)]*)?\)/g)]
  .map((m) => m[1]!)
  .filter((t) => !/^[a-z]+:/i.test(t));

test('the README links to files that exist', (t) => {
  t.true(targets.length > 0);
  const missing = targets.filter((t) => !existsSync(path.join(root, t)));
  t.deepEqual(missing, []);
});

test('the gallery images are PNG files kept under reports/example/', (t) => {
  const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]!);
  t.true(images.length >= 7, `gallery shows ${images.length} images`);
  for (const img of images) {
    t.true(img.startsWith('reports/example/'), img);
    const head = readFileSync(path.join(root, img)).subarray(0, 8);
    t.deepEqual([...head], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], img);
  }
});
