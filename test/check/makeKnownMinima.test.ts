/**
 * The generator rebuilds the shipped known minima byte for byte from their seed, and another
 * seed gives other data with goldens of the same shape.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { tempDir } from '../helpers/checkpoints.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHIPPED = path.join(ROOT, 'fixtures', 'known-minima');

function generate(args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import=tsx', 'scripts/make-known-minima.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

async function files(dir: string, under = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(path.join(dir, under), { withFileTypes: true })) {
    const rel = path.join(under, e.name);
    if (e.isDirectory()) out.push(...(await files(dir, rel)));
    else out.push(rel);
  }
  return out.sort();
}

test('make-known-minima --seed 0 reproduces fixtures/known-minima exactly', async (t) => {
  const out = path.join(await tempDir(), 'known-minima');
  const r = await generate(['--seed', '0', '--out', out]);
  t.is(r.status, 0, r.stderr);
  const want = await files(SHIPPED);
  t.deepEqual(await files(out), want);
  for (const f of want) {
    const [a, b] = await Promise.all([fs.readFile(path.join(SHIPPED, f)), fs.readFile(path.join(out, f))]);
    t.true(a.equals(b), `${f} differs from the shipped file`);
  }
});

test('another seed draws other data; a bad argument is refused', async (t) => {
  const out = path.join(await tempDir(), 'known-minima');
  t.is((await generate(['--seed', '7', '--out', out])).status, 0);
  const a = await fs.readFile(path.join(SHIPPED, 'linear-regression', 'x.npy'));
  const b = await fs.readFile(path.join(out, 'linear-regression', 'x.npy'));
  t.is(a.length, b.length);
  t.false(a.equals(b));
  const manifest = JSON.parse(await fs.readFile(path.join(out, 'manifest.json'), 'utf8'));
  t.is(manifest.seed, 7);
  const bad = await generate(['--seed', '-1', '--out', out]);
  t.is(bad.status, 1);
  t.regex(bad.stderr, /--seed must be an integer >= 0/);
});
