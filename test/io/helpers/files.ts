/** Test helpers: temporary directories, directory snapshots (to prove inputs are unchanged), copies. */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const FIXTURES = path.join(REPO, 'fixtures', 'io');

const created: string[] = [];
process.once('exit', () => {
  for (const d of created) fs.rmSync(d, { recursive: true, force: true });
});

/** A fresh temporary directory, removed when the test process exits. */
export function tmpDir(tag = 'io'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `sharpness-${tag}-`));
  created.push(d);
  return d;
}

/** A map from each entry under `dir` (recursively, links not followed) to a hash of its bytes or link target. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isSymbolicLink()) out[r] = `link:${fs.readlinkSync(p)}`;
      else if (e.isDirectory()) walk(p, r);
      else {
        const st = fs.statSync(p);
        out[r] = `${createHash('sha256').update(fs.readFileSync(p)).digest('hex')}:${st.mode}:${st.mtimeMs}`;
      }
    }
  };
  walk(dir, '');
  return out;
}

export function copyDir(from: string, to: string): string {
  fs.cpSync(from, to, { recursive: true });
  return to;
}
