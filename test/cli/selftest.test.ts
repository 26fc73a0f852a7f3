/** `sharpness selftest`: every known minimum checked against its goldens, on cpu and on wasm. */
import test from 'ava';
import { sharpness } from '../helpers/cli.ts';

for (const backend of ['cpu', 'wasm'] as const) {
  test(`selftest passes on ${backend} in well under a minute`, async (t) => {
    const t0 = performance.now();
    const r = await sharpness(['selftest', '--backend', backend], { timeoutMs: 120_000 });
    const seconds = (performance.now() - t0) / 1000;
    t.is(r.status, 0, r.stdout + r.stderr);
    const lines = r.stdout.trim().split('\n');
    t.regex(lines[0]!, /^case\s+measure\s+golden\s+now\s+difference\s+allowed\s+verdict$/);
    for (const m of ['linear-regression/hessian', 'linear-regression/ball-l2', 'linear-regression/ball-l2-adaptive', 'linear-regression/volume', 'logistic-regression/hessian', 'logistic-regression/evaluate', 'two-layer-linear/hessian', 'relu/evaluate', 'relu-rescaled/evaluate', 'relu-rescaled/rescaling']) {
      t.true(lines.some((l) => l.startsWith(`${m} `)), m);
    }
    t.false(/DRIFT|MISSING/.test(r.stdout));
    t.regex(lines.at(-1)!, new RegExp(`^selftest: ok: 11 goldens of 5 known minima and 1 relation checked on ${backend} in [\\d.]+ s$`));
    t.regex(r.stderr, new RegExp(`engine: ${backend}`));
    t.regex(r.stderr, /selftest: linear-regression\/volume: ok/);
    t.log(`${backend}: ${seconds.toFixed(1)} s (${lines.at(-1)})`);
    t.true(seconds < 60);
  });
}

test('--only runs the named minima; --json prints the report; an unknown name exits 2', async (t) => {
  const r = await sharpness(['selftest', '--backend', 'cpu', '--only', 'two-layer-linear', '--json', '--quiet']);
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  t.true(report.ok);
  t.deepEqual(report.cases.map((c: { golden: string }) => c.golden), ['two-layer-linear/golden/hessian.json', 'two-layer-linear/golden/evaluate.json']);
  t.is(report.cases[0].report.rows.length, 13);
  t.is(r.stderr, '');
  const bad = await sharpness(['selftest', '--backend', 'cpu', '--only', 'nope']);
  t.is(bad.status, 2);
  t.regex(bad.stderr, /^sharpness: selftest: --only nope is not a known minimum/);
});

test('selftest CKPT --data checks the model\'s gradient and HVPs against finite differences; --data is required', async (t) => {
  const cwd = 'fixtures/onnx/layers_twin';
  const r = await sharpness(['selftest', 'tfjs', '--data', 'npy:x.npy,y.npy', '--backend', 'cpu', '--json', '--quiet', '--directions', '2'], { cwd: `${process.cwd()}/${cwd}` });
  t.is(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  t.is(doc.command, 'selftest');
  t.true(doc.result.ok);
  t.is(doc.result.directions.length, 2);
  for (const d of doc.result.directions) t.true(d.hvp.relativeError < 2e-2 && d.symmetry < 1e-3);
  const bad = await sharpness(['selftest', `${cwd}/tfjs`, '--backend', 'cpu']);
  t.is(bad.status, 2);
  t.regex(bad.stderr, /^sharpness: selftest: checking a checkpoint needs --data/);
});
