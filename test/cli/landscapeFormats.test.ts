/**
 * The landscape as an item job writes, byte for byte (cost.seconds aside), the documents
 * the landscape's own runner of earlier versions wrote (test/fixtures/landscape-v1, made by
 * that version with make.ts): a line and a plane, on one and two worker threads, sharded
 * and merged, resumed; and the shards and the progress file that version wrote still merge
 * and resume into the same documents.
 */
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { canonicalText, sharpness } from '../helpers/cli.ts';
import { tempDir } from '../helpers/checkpoints.ts';

const D = 'test/fixtures/landscape-v1';
const fixture = (name: string) => path.join(D, name);
// The command lines of make.ts (relative paths: the documents record them as given).
const LINE = ['landscape', `${D}/a`, '--to', `${D}/b`, '--range', '-0.5:1.5:5', '--data', 'mnist:test:200', '--eval-data', 'mnist:test:100', '--backend', 'cpu'];
const PLANE = ['landscape', `${D}/a`, '--plane', `${D}/b,${D}/c`, '--range', 'auto:4', '--data', 'mnist:test:200', '--backend', 'cpu'];

let dir = '';
test.before(async () => {
  dir = await tempDir('sharpness-landscape-formats-');
});

async function ok(args: string[]) {
  const r = await sharpness(args);
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  return r;
}

for (const [name, args] of [
  ['line', LINE],
  ['plane', PLANE],
] as const) {
  test(`${name}: one worker, two workers, and shards merged write the earlier version's document`, async (t) => {
    for (const workers of ['1', '2']) {
      const out = path.join(dir, `${name}-w${workers}.json`);
      const r = await ok([...args, '--workers', workers, '--out', out]);
      if (workers === '2') t.regex(r.stderr, /items to compute on 2 worker threads/);
      t.is(canonicalText(out), canonicalText(fixture(`${name}.json`)), `--workers ${workers}`);
    }
    const parts = [1, 2].map((k) => path.join(dir, `${name}-part${k}.json`));
    for (const [k, p] of parts.entries()) await ok([...args, '--workers', '1', '--shard', `${k + 1}/2`, '--out', p, '--quiet']);
    t.is(JSON.parse(readFileSync(parts[0]!, 'utf8')).schema, 'sharpness/landscape-shard@2');
    const merged = path.join(dir, `${name}-merged.json`);
    await ok(['merge', parts[1]!, parts[0]!, '--out', merged, '--quiet']);
    t.is(canonicalText(merged), canonicalText(fixture(`${name}.json`)));
    // The earlier version's shards: alone, and one of them with one of this version.
    const old = path.join(dir, `${name}-old-merged.json`);
    await ok(['merge', fixture(`${name}-shard1of2.json`), fixture(`${name}-shard2of2.json`), '--out', old, '--quiet']);
    t.is(canonicalText(old), canonicalText(fixture(`${name}.json`)));
    const mixed = path.join(dir, `${name}-mixed.json`);
    await ok(['merge', fixture(`${name}-shard1of2.json`), parts[1]!, '--out', mixed, '--quiet']);
    t.is(canonicalText(mixed), canonicalText(fixture(`${name}.json`)));
  });
}

test("plane: the earlier version's progress file resumes; so does this version's; both write the earlier document", async (t) => {
  const out = path.join(dir, 'resumed-old.json');
  copyFileSync(fixture('plane.partial.json'), `${out}.partial.json`);
  const r = await ok([...PLANE, '--workers', '1', '--out', out]);
  t.regex(r.stderr, /landscape: resuming from .*resumed-old\.json\.partial\.json: 10 of 19 items done/);
  t.regex(r.stderr, /landscape: 9\/9 items in/);
  t.false(existsSync(`${out}.partial.json`));
  t.is(canonicalText(out), canonicalText(fixture('plane.json')));
  const resumedCost = JSON.parse(readFileSync(out, 'utf8')).cost;
  t.true(resumedCost.seconds >= 1.25, 'the seconds spent before are counted');

  // This version's progress file: shard 2/2's items, as a run killed after them saves them.
  const shard2 = path.join(dir, 'resume-part2.json');
  await ok([...PLANE, '--workers', '1', '--shard', '2/2', '--out', shard2, '--quiet']);
  const part = JSON.parse(readFileSync(shard2, 'utf8')).result;
  const out2 = path.join(dir, 'resumed-new.json');
  const progress = { schema: 'sharpness/landscape-progress@2', fingerprint: part.fingerprint, identity: part.identity, itemCount: part.itemCount, seconds: 0.5, items: part.items };
  writeFileSync(`${out2}.partial.json`, `${JSON.stringify(progress)}\n`);
  const r2 = await ok([...PLANE, '--workers', '2', '--out', out2]);
  t.regex(r2.stderr, /resuming from .*: 9 of 19 items done/);
  t.is(canonicalText(out2), canonicalText(fixture('plane.json')));
  // The finished result is recognised by its fingerprint: nothing is computed again.
  const again = await ok([...PLANE, '--out', out2]);
  t.regex(again.stderr, /already holds this result; nothing to compute/);
});
