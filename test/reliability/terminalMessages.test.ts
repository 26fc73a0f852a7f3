/**
 * Class 7: what reaches the terminal. Control characters from a checkpoint (layer names,
 * sidecar fields) are escaped where text is printed, and a refused input prints its error
 * alone (the engine line is said with the command's first output, not before an error).
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { sharpness, lines } from '../helpers/cli.ts';
import { tempDir } from '../helpers/checkpoints.ts';
import { useBackend } from '../helpers/engine.ts';
import { saveTinyCheckpoint, writeTinyData } from './tinyInputs.ts';
import { escapeControl } from '../../src/messages.ts';

const ESC = '\u001b';
let dir = '';
let ckpt = '';
test.before(async () => {
  await useBackend('cpu');
  dir = await tempDir('sharpness-term-');
  ckpt = await saveTinyCheckpoint(path.join(dir, 'ckpt'));
});

test('escapeControl: C0/C1 controls escaped, newlines and tabs kept', (t) => {
  t.is(escapeControl(`a${ESC}[2Jb\u009b\u0007\tc\nd`), 'a\\x1b[2Jb\\x9b\\x07\tc\nd');
  t.is(escapeControl('plain text, ünïcode'), 'plain text, ünïcode');
});

test('info escapes control characters from the sidecar and layer names', async (t) => {
  const d = path.join(dir, 'evil');
  cpSync(ckpt, d, { recursive: true });
  writeFileSync(path.join(d, 'sharpness.json'), JSON.stringify({ method: `sgd${ESC}]0;pwned\u0007`, note: `\u009b31m` }));
  const r = await sharpness(['info', d, '--backend', 'cpu']);
  t.is(r.status, 0, r.stderr);
  t.false(r.stdout.includes(ESC), 'no raw ESC');
  t.false(r.stdout.includes('\u009b'), 'no raw CSI');
  t.false(r.stdout.includes('\u0007'), 'no raw BEL');
  t.true(r.stdout.includes('\\u001b]0;pwned') || r.stdout.includes('\\x1b]0;pwned'));
  const j = await sharpness(['info', d, '--backend', 'cpu', '--json']);
  t.false(j.stdout.includes('\u009b'));
  t.is(JSON.parse(j.stdout).result.sidecar.note, '\u009b31m', 'the JSON still round-trips');
});

test('a bad input after the engine starts prints one line, without the engine line', async (t) => {
  const data = writeTinyData(dir);
  const bad = path.join(dir, 'bad');
  cpSync(ckpt, bad, { recursive: true });
  const mj = JSON.parse(readFileSync(path.join(bad, 'model.json'), 'utf8'));
  mj.weightsManifest[0].weights[0].shape = [3, 5];
  writeFileSync(path.join(bad, 'model.json'), JSON.stringify(mj));
  const r = await sharpness(['evaluate', bad, '--data', data.spec, '--backend', 'cpu']);
  t.is(r.status, 2, r.stderr);
  t.is(lines(r.stderr).length, 1, r.stderr);
  t.regex(r.stderr, /^sharpness: checkpoint: /);
  // On success the engine line is still said, first.
  const ok = await sharpness(['evaluate', ckpt, '--data', data.spec, '--backend', 'cpu']);
  t.is(ok.status, 0, ok.stderr);
  t.regex(lines(ok.stderr)[0]!, /^engine: cpu/);
});
