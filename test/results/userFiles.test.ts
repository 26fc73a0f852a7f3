/**
 * Files a user hands us are never a reason for exit 1 (a bug of ours): a damaged compare.json,
 * a result edited by hand, a shard whose command names an Object.prototype member, JSON
 * nested deep enough to overflow a recursive reader. Each is exit 2 with one line naming the
 * file and what is wrong (the JSON path of the first bad field where there is one).
 */
import test from 'ava';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InputError } from '../../src/errors.ts';
import * as landscapeJob from '../../src/cli/jobs/landscapeJob.ts';
import { parseProgress } from '../../src/parallel/itemDocuments.ts';
import { STACK_FRAME, sharpness } from '../helpers/cli.ts';

const LR = 'fixtures/known-minima/linear-regression';
const DOCS = 'test/results/documents';
const tmp = () => mkdtempSync(path.join(tmpdir(), 'sharpness-userfiles-'));
const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

function oneLineExit2(t: import('ava').ExecutionContext, r: { status: number | null; stderr: string }, re: RegExp): void {
  t.is(r.status, 2, r.stderr);
  t.regex(r.stderr, re);
  t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  t.notRegex(r.stderr, STACK_FRAME);
}

test('check: a baseline edited by hand (a number where a hash was) names the file and the field', async (t) => {
  const dir = tmp();
  const baseline = JSON.parse(readFileSync(`${LR}/golden/volume.json`, 'utf8'));
  baseline.data.sha256 = 5;
  const file = path.join(dir, 'baseline.json');
  writeFileSync(file, JSON.stringify(baseline));
  const r = await sharpness(['check', `${DOCS}/volume.json`, '--baseline', file]);
  oneLineExit2(t, r, /baseline\.json is not a valid result document: data\.sha256 must be string, got 5/);
});

test('merge: a shard whose command is an Object.prototype member is not a shard, not a crash', async (t) => {
  const dir = tmp();
  for (const command of ['constructor', 'toString', '__proto__']) {
    const shard = JSON.parse(readFileSync(`${DOCS}/ball-shard1.json`, 'utf8'));
    shard.schema = `sharpness/${command}-shard@1`;
    shard.command = command;
    const file = path.join(dir, `${command}.json`);
    writeFileSync(file, JSON.stringify(shard));
    const r = await sharpness(['merge', file]);
    oneLineExit2(t, r, new RegExp(`merge: .*${command}\\.json is not a shard document`));
  }
});

test('merge: a shard nested thousands of levels deep is refused before anything walks it', async (t) => {
  const dir = tmp();
  const text = readFileSync(`${DOCS}/ball-shard1.json`, 'utf8').replace('"identity": {', `"deep": ${deep(20_000)}, "identity": {`);
  const file = path.join(dir, 'deep.json');
  writeFileSync(file, text);
  const r = await sharpness(['merge', file]);
  oneLineExit2(t, r, /merge: .*deep\.json nests JSON more than \d+ levels deep/);
});

test('merge: a shard edited by hand names the field', async (t) => {
  const dir = tmp();
  const shard = JSON.parse(readFileSync(`${DOCS}/ball-shard1.json`, 'utf8'));
  shard.result.shard = { k: 'one', n: 2 };
  const file = path.join(dir, 'edited.json');
  writeFileSync(file, JSON.stringify(shard));
  const r = await sharpness(['merge', file]);
  oneLineExit2(t, r, /edited\.json is not a valid ball shard: result\.shard\.k must be integer, got "one"/);
});

test('compare: a damaged compare.json in --out is an input error naming it', async (t) => {
  for (const [text, re] of [
    ['{"schema": "sharpness/compare-plan@1", ', /compare\.json is not valid JSON/],
    ['{"schema": "sharpness/compare-plan@1", "checkpoints": 3, "settings": {}}', /compare\.json is not a valid comparison plan: checkpoints must be array, got 3/],
  ] as const) {
    const out = tmp();
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, 'compare.json'), text);
    const r = await sharpness(['compare', `${LR}/model`, '--data', `npy:${LR}/x.npy,${LR}/y.npy`, '--out', out, '--quiet']);
    oneLineExit2(t, r, re);
  }
});

test('progress files: deep nesting and hand edits are input errors, never a stack overflow', (t) => {
  const module = { checkRecord: (r: unknown) => r };
  const deepProgress = `{"schema": "sharpness/ball-progress@1", "fingerprint": "x", "identity": ${deep(50_000)}, "itemCount": 1, "seconds": 0, "items": []}`;
  t.throws(() => parseProgress('ball', deepProgress, 'p.json', { a: 1 }, 1, module), { instanceOf: InputError, message: /p\.json nests JSON more than/ });
  const edited = JSON.stringify({ schema: 'sharpness/ball-progress@1', fingerprint: 7, identity: {}, itemCount: 1, seconds: 0, items: [] });
  t.throws(() => parseProgress('ball', edited, 'p.json', {}, 1, module), { instanceOf: InputError, message: /p\.json is not a valid ball progress file: fingerprint must be string, got 7; remove it to start over/ });
  const deepLandscape = `{"schema": "sharpness/landscape-progress@1", "fingerprint": "x", "identity": ${deep(50_000)}, "itemCount": 1, "seconds": 0, "items": []}`;
  t.throws(() => parseProgress('landscape', deepLandscape, 'l.json', {}, 1, landscapeJob), { instanceOf: InputError, message: /l\.json nests JSON more than/ });
});
