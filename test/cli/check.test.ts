/**
 * `sharpness check`: a table and exit 0 when nothing drifted, exit 1 and the offending
 * measure when something did, --json for machines, --update to accept new values, exit 2
 * for results that cannot be compared; and it works on a real command's output.
 */
import * as fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { sharpness, ROOT } from '../helpers/cli.ts';
import { tempDir } from '../helpers/checkpoints.ts';

const KM = 'fixtures/known-minima';
const LR = `${KM}/linear-regression`;
const DATA = `npy:${LR}/x.npy,${LR}/y.npy`;

let dir = '';
test.before(async () => {
  dir = await tempDir();
});

async function plant(from: string, to: string, edit: (r: any) => void): Promise<string> {
  const doc = JSON.parse(await fs.readFile(path.join(ROOT, from), 'utf8'));
  edit(doc.result);
  const file = path.join(dir, to);
  await fs.writeFile(file, JSON.stringify(doc, null, 2));
  return file;
}

test('a golden against itself: the table, a summary, exit 0', async (t) => {
  const r = await sharpness(['check', `${LR}/golden/hessian.json`, '--baseline', `${LR}/golden/hessian.json`]);
  t.is(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  t.regex(lines[0]!, /^measure\s+baseline\s+now\s+difference\s+allowed\s+verdict$/);
  t.regex(r.stdout, /hessian\.eigenvalues\[0\]\s+1\.83527\s+1\.83527\s+0\s+\S+\s+ok/);
  t.regex(lines.at(-1)!, /^check: ok: 11 ok, 0 drifted, 0 missing of 11 hessian measures \(rtol 0\.0001, atol 0\.000001, sigma 3\)$/);
  t.is(r.stderr, '');
});

test('a planted drift: exit 1, the measure marked DRIFT in the table and named on stderr', async (t) => {
  const file = await plant(`${LR}/golden/volume.json`, 'volume-drift.json', (res) => {
    res.logVolume += 1;
    res.logVolumeCI = [res.logVolume - 0.1, res.logVolume + 0.1];
  });
  const r = await sharpness(['check', file, '--baseline', `${LR}/golden/volume.json`]);
  t.is(r.status, 1, r.stderr);
  t.regex(r.stdout, /volume\.logVolume\s+-9\.58006\s+-8\.58006 ± 0\.051\s+1\.00e\+0\s+1\.53e-1 \(3 se\)\s+DRIFT/);
  t.regex(r.stdout, /check: FAILED: 3 ok, 1 drifted, 0 missing/);
  const err = r.stderr.trim().split('\n');
  t.is(err.length, 1);
  t.regex(err[0]!, /^sharpness: check: .*volume-drift\.json differs from .*volume\.json: volume\.logVolume drifted$/);
  // a wider sigma lets it pass
  t.is((await sharpness(['check', file, '--baseline', `${LR}/golden/volume.json`, '--sigma', '25'])).status, 0);
});

test('--json prints the CheckReport; --out writes it', async (t) => {
  const file = await plant(`${LR}/golden/ball-l2.json`, 'ball-drift.json', (res) => (res.points[0].maxLoss *= 1.01));
  const out = path.join(dir, 'report.json');
  const r = await sharpness(['check', file, '--baseline', `${LR}/golden/ball-l2.json`, '--json', '--out', out]);
  t.is(r.status, 1);
  const report = JSON.parse(r.stdout);
  t.false(report.ok);
  t.deepEqual(report.drifted, ['ball.l2.r=0.1.maxLoss']);
  t.deepEqual(report.counts, { ok: 6, drift: 1, missing: 0 });
  t.is(report.rows.length, 7);
  for (const k of ['measure', 'kind', 'baseline', 'now', 'difference', 'allowed', 'verdict']) t.true(k in report.rows[0], k);
  t.deepEqual(JSON.parse(await fs.readFile(out, 'utf8')), report);
});

test('--update rewrites the baseline with the result and says so', async (t) => {
  const baseline = path.join(dir, 'baseline.json');
  await fs.copyFile(path.join(ROOT, `${LR}/golden/hessian.json`), baseline);
  const file = await plant(`${LR}/golden/hessian.json`, 'hessian-new.json', (res) => (res.eigenvalues[0] *= 1.1));
  t.is((await sharpness(['check', file, '--baseline', baseline])).status, 1);
  const r = await sharpness(['check', file, '--baseline', baseline, '--update']);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /check: updated .*baseline\.json from .*hessian-new\.json \(1 measure changed beyond tolerance, 0 no longer measured\)/);
  t.deepEqual(JSON.parse(await fs.readFile(baseline, 'utf8')), JSON.parse(await fs.readFile(file, 'utf8')));
  t.is((await sharpness(['check', file, '--baseline', baseline])).status, 0);
  const fresh = path.join(dir, 'fresh.json');
  const n = await sharpness(['check', file, '--baseline', fresh, '--update']);
  t.is(n.status, 0);
  t.regex(n.stdout, /\(new baseline\)/);
  t.deepEqual(await fs.readdir(dir).then((f) => f.filter((x) => x.startsWith('.'))), [], 'no temporary files left');
});

test('results that cannot be compared: exit 2 with one line', async (t) => {
  for (const [args, re] of [
    [['check', `${LR}/golden/volume.json`, '--baseline', `${LR}/golden/hessian.json`], /a volume result .* but .* is a hessian result/],
    [['check', `${KM}/logistic-regression/golden/hessian.json`, '--baseline', `${LR}/golden/hessian.json`], /--allow-different-checkpoint/],
    [['check', `${LR}/golden/hessian.json`, '--baseline', `${LR}/golden/nope.json`], /nope\.json does not exist/],
    [['check', `${KM}/manifest.json`, '--baseline', `${LR}/golden/hessian.json`], /manifest\.json is not a sharpness result document/],
    [['check', `${LR}/golden/hessian.json`, '--baseline', `${LR}/golden/hessian.json`, '--rtol', '-1'], /--rtol must be a finite number >= 0, got -1/],
    [['check', `${LR}/golden/hessian.json`], /--baseline/],
  ] as const) {
    const r = await sharpness([...args]);
    t.is(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, re);
    t.is(r.stderr.trim().split('\n').length, 1);
  }
  const allowed = await sharpness(['check', `${KM}/relu-rescaled/golden/evaluate.json`, '--baseline', `${KM}/relu/golden/evaluate.json`, '--allow-different-checkpoint', '--rtol', '1e-6']);
  t.is(allowed.status, 0, allowed.stdout + allowed.stderr);
  t.regex(allowed.stdout, /note: different checkpoints/);
});

test('on a real command output: hessian and ball of the linear-regression minimum match their goldens', async (t) => {
  const h = path.join(dir, 'hessian.json');
  const run = await sharpness(['hessian', `${LR}/model`, '--data', DATA, '--top-k', '10', '--trace', '--probes', '100', '--backend', 'cpu', '--quiet', '--out', h]);
  t.is(run.status, 0, run.stderr);
  const r = await sharpness(['check', h, '--baseline', `${LR}/golden/hessian.json`]);
  t.is(r.status, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /hessian\.trace\s+9\.24372\s+9\.\d+ ± 0\.\d+\s+\S+\s+\S+ \(3 se\)\s+ok/);
  const b = path.join(dir, 'ball.json');
  const ball = await sharpness([
    'ball', `${LR}/model`, '--data', DATA, '--radius', '0.1,0.3', '--norm', 'l2', '--steps', '60', '--samples', '200', '--backend', 'cpu', '--quiet', '--out', b,
  ]);
  t.is(ball.status, 0, ball.stderr);
  t.is((await sharpness(['check', b, '--baseline', `${LR}/golden/ball-l2.json`])).status, 0);
  // the same result against the adaptive golden is a different set: its measures are missing
  const miss = await sharpness(['check', b, '--baseline', `${LR}/golden/ball-l2-adaptive.json`]);
  t.is(miss.status, 1);
  t.regex(miss.stdout, /ball\.l2-adaptive\.r=0\.1\.maxLoss\s+\S+\s+-\s+-\s+\S+\s+MISSING/);
});
