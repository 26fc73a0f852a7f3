/**
 * ONNX's own backend test suite (Debian package libonnx-testdata): every case under
 * node/, pytorch-converted/ and pytorch-operator/ whose ops are all supported runs through
 * the interpreter and matches the stored outputs within |got - want| <= 1e-4 + 1e-4 |want|.
 * Skipped cases are listed with their reason (t.log). Every supported op must have at least
 * one passing case. Runs on cpu and wasm. Skipped with a message when the package is missing.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { SUPPORTED_OPS } from '../../../src/formats/onnx/opTable.ts';
import { listCases, runCase, SUITE_ROOT, type CaseResult } from './nodeSuite.ts';
import { useBackend } from '../../helpers/engine.ts';

const present = existsSync(`${SUITE_ROOT}/node`);

for (const backend of ['cpu', 'wasm'] as const) {
  (present ? test.serial : test.serial.skip)(`ONNX backend test suite on ${backend}`, async (t) => {
    await useBackend(backend);
    const results: CaseResult[] = listCases().map(runCase);
    const failed = results.filter((r) => r.status === 'fail');
    const passed = results.filter((r) => r.status === 'pass');
    const skipped = results.filter((r) => r.status === 'skip');
    const byReason = new Map<string, number>();
    for (const s of skipped) {
      const key = /unsupported op/.test(s.reason ?? '') ? 'uses an unsupported op' : (s.reason ?? '');
      byReason.set(key, (byReason.get(key) ?? 0) + 1);
    }
    t.log(`${passed.length} passed, ${failed.length} failed, ${skipped.length} skipped`);
    for (const s of skipped) if (!/unsupported op/.test(s.reason ?? '')) t.log(`skipped ${s.name}: ${s.reason}`);
    t.log(`skipped for an unsupported op: ${byReason.get('uses an unsupported op') ?? 0}`);
    t.deepEqual(failed.map((f) => `${f.name}: ${f.reason}`), []);
    const covered = new Set(passed.flatMap((p) => p.ops));
    t.deepEqual(SUPPORTED_OPS.filter((op) => !covered.has(op)), [], 'supported ops without a passing case');
    t.true(passed.length > 300);
  });
}

if (!present) {
  test('ONNX backend test suite data is missing', (t) => {
    t.log(`${SUITE_ROOT} not found: install the Debian package libonnx-testdata to run the ONNX backend test suite`);
    t.pass();
  });
}
