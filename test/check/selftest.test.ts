/**
 * runSelftest (library): passes on the shipped minima, fails on a tampered golden or
 * relation naming the offending measure, and leaks no tensors. The CLI test runs the whole
 * selftest on cpu and wasm.
 */
import * as fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { tf } from '../../src/engine/tf.ts';
import { runSelftest } from '../../src/check/selftest.ts';
import { KNOWN_MINIMA_DIR } from '../../src/check/knownMinima.ts';
import { formatSelftestReport, selftestSummary } from '../../src/check/formatSelftestReport.ts';
import { UsageError } from '../../src/errors.ts';
import { useBackend } from '../helpers/engine.ts';
import { tempDir } from '../helpers/checkpoints.ts';

test.before(async () => {
  await useBackend('cpu');
});

async function copyOfMinima(): Promise<string> {
  const dir = path.join(await tempDir(), 'known-minima');
  await fs.cp(KNOWN_MINIMA_DIR, dir, { recursive: true });
  return dir;
}

async function edit(file: string, change: (doc: any) => void): Promise<void> {
  const doc = JSON.parse(await fs.readFile(file, 'utf8'));
  change(doc);
  await fs.writeFile(file, JSON.stringify(doc, null, 2));
}

test.serial('the linear-regression goldens pass, with no tensor left behind', async (t) => {
  const before = tf.memory().numTensors;
  const report = await runSelftest({ only: ['linear-regression'] });
  t.is(tf.memory().numTensors, before);
  t.true(report.ok, formatSelftestReport(report));
  t.deepEqual(
    report.cases.map((c) => c.golden),
    ['hessian', 'ball-l2', 'ball-l2-adaptive', 'volume', 'evaluate'].map((g) => `linear-regression/golden/${g}.json`),
  );
  t.deepEqual(report.relations, []);
  t.is(report.backend, 'cpu');
  t.regex(selftestSummary(report), /^selftest: ok: 5 goldens of 1 known minimum and 0 relations checked on cpu in [\d.]+ s$/);
});

test.serial('a tampered golden fails and names its measure; the others still pass', async (t) => {
  const dir = await copyOfMinima();
  await edit(path.join(dir, 'linear-regression/golden/hessian.json'), (d) => (d.result.eigenvalues[0] *= 1.01));
  const lines: string[] = [];
  const report = await runSelftest({ dir, only: ['linear-regression'], onProgress: (l) => lines.push(l) });
  t.false(report.ok);
  t.is(report.counts.failed, 1);
  const bad = report.cases.filter((c) => !c.ok);
  t.is(bad.length, 1);
  t.is(bad[0]!.golden, 'linear-regression/golden/hessian.json');
  t.deepEqual(bad[0]!.report.drifted, ['hessian.eigenvalues[0]']);
  t.regex(selftestSummary(report), /selftest: FAILED on cpu: 1 of 5 checks: linear-regression\/hessian \(hessian\.eigenvalues\[0\]\)/);
  t.regex(formatSelftestReport(report), /linear-regression\/hessian\s+hessian\.eigenvalues\[0\].*DRIFT/);
  t.true(lines.some((l) => /linear-regression\/hessian: FAILED/.test(l)));
});

test.serial('the rescaling relation: the same loss and adaptive sharpness, a different plain one; a wrong expectation fails', async (t) => {
  const dir = await copyOfMinima();
  const ok = await runSelftest({ dir, only: ['relu', 'relu-rescaled'] });
  t.true(ok.ok, formatSelftestReport(ok));
  t.is(ok.relations.length, 1);
  const rel = ok.relations[0]!;
  t.is(rel.name, 'relu-rescaled/rescaling');
  t.true(rel.rows.some((r) => /^loss/.test(r.measure)));
  t.true(rel.rows.some((r) => /^ball\.l2-adaptive\.r=0\.05\.maxLoss \(equal/.test(r.measure)));
  t.true(rel.rows.some((r) => /^ball\.l2\.r=0\.05\.sharpness \(differ/.test(r.measure)));
  await edit(path.join(dir, 'relu-rescaled/golden/rescaling.json'), (d) => (d.expect.plain.minRelativeDifference = 0.99));
  const bad = await runSelftest({ dir, only: ['relu', 'relu-rescaled'] });
  t.false(bad.ok);
  const failed = bad.relations[0]!.rows.filter((r) => r.verdict !== 'ok').map((r) => r.measure);
  t.true(failed.length > 0 && failed.every((m) => m.includes('(differ: plain)')), failed.join(', '));
});

test.serial('an unknown minimum is a usage error that lists the known ones', async (t) => {
  await t.throwsAsync(runSelftest({ only: ['nope'] }), { instanceOf: UsageError, message: /--only nope is not a known minimum; the known minima are linear-regression, logistic-regression/ });
});
