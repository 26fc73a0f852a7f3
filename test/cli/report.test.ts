/** `sharpness report`: figures and the HTML report from saved result files, end to end. */
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { lines, sharpness, STACK_FRAME } from '../helpers/cli.ts';
import { tempDir } from '../report/helpers.ts';
import { allDocuments, ballDocument, trainDocument, trainLogDocument } from '../report/sampleDocuments.ts';

let dir = '';
let results: string[] = [];

test.before(async () => {
  dir = await tempDir('sharpness-report-cli-');
  await mkdir(path.join(dir, 'results'));
  await mkdir(path.join(dir, 'runs', 'sam'), { recursive: true });
  results = [];
  for (const d of allDocuments()) {
    if (d.name.startsWith('train-log')) continue;
    const file = path.join(dir, 'results', d.name);
    await writeFile(file, JSON.stringify(d.doc));
    results.push(file);
  }
  // A `train` result that names its log beside it (as train writes them): the report follows it.
  const log = path.join(dir, 'runs', 'sam', 'train-log.json');
  await writeFile(log, JSON.stringify(trainLogDocument('SAM')));
  const train = path.join(dir, 'runs', 'sam', 'result.json');
  await writeFile(train, JSON.stringify(trainDocument('SAM', log)));
  results.push(train);
});

test.after.always(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('report: every figure in three formats, the table and index.html; prints the index path', async (t) => {
  const out = path.join(dir, 'report-a');
  const r = await sharpness(['report', ...results, '--out', out, '--labels', 'SGD,SAM,SWA', '--title', 'Three solutions']);
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout.trim(), path.join(out, 'index.html'));
  t.false(r.stderr.includes('engine:'), 'report starts no engine');
  const manifest = JSON.parse(await readFile(path.join(out, 'report.json'), 'utf8'));
  t.is(manifest.schema, 'sharpness/report@1');
  t.is(manifest.title, 'Three solutions');
  t.deepEqual(manifest.solutions, ['SGD', 'SAM', 'SWA', 'ensemble of 3']);
  const names = manifest.figures.map((f: { name: string }) => f.name);
  t.deepEqual(names, ['training', 'rays', 'line-swa-sgd', 'plane-sgd-sam-swa', 'hessian-spectra', 'eps-sharpness', 'volume-radii', 'width-consistency']);
  const figures = await readdir(path.join(out, 'figures'));
  t.is(figures.length, 3 * names.length);
  const html = await readFile(path.join(out, 'index.html'), 'utf8');
  t.true(html.includes('<title>Three solutions</title>'));
  const table = await readFile(path.join(out, 'comparison.txt'), 'utf8');
  t.regex(table, /^SGD\s+93\.12 ± 0\.57/m);
  t.true(manifest.sources.some((s: { file: string }) => s.file.endsWith('train-log.json')), 'the training log was followed');
  t.is(lines(r.stderr).filter((l) => l.startsWith('report: ')).length, names.length);
});

test('report: --json prints a summary; a rerun replaces the report and keeps other files', async (t) => {
  const out = path.join(dir, 'report-b');
  await mkdir(out);
  await writeFile(path.join(out, 'notes.txt'), 'mine');
  const ball = results.filter((f) => path.basename(f).startsWith('ball-l2'));
  const r1 = await sharpness(['report', ...ball, '--out', out, '--json', '--quiet']);
  t.is(r1.status, 0, r1.stderr);
  t.is(r1.stderr, '');
  const summary = JSON.parse(r1.stdout);
  t.deepEqual(summary.figures, ['eps-sharpness']);
  t.deepEqual(summary.solutions, ['sgd', 'sam', 'swa']);
  const r2 = await sharpness(['report', ball[0]!, '--out', out, '--labels', 'only', '--quiet']);
  t.is(r2.status, 0, r2.stderr);
  const manifest = JSON.parse(await readFile(path.join(out, 'report.json'), 'utf8'));
  t.deepEqual(manifest.solutions, ['only']);
  t.is(await readFile(path.join(out, 'notes.txt'), 'utf8'), 'mine');
  t.deepEqual((await readdir(out)).sort(), ['comparison.json', 'comparison.txt', 'figures', 'index.html', 'notes.txt', 'report.json']);
});

/** Exit 2 with one line on stderr, naming `parts`, and nothing written to `out`. */
async function refused(t: import('ava').ExecutionContext, args: string[], out: string | null, ...parts: string[]) {
  const r = await sharpness(['report', ...args, ...(out ? ['--out', out] : [])]);
  t.is(r.status, 2, r.stderr);
  const err = lines(r.stderr);
  t.is(err.length, 1, r.stderr);
  t.true(err[0]!.startsWith('sharpness: '));
  for (const p of parts) t.true(err[0]!.includes(p), `'${err[0]}' lacks '${p}'`);
  t.notRegex(r.stderr, STACK_FRAME);
  if (out) await t.throwsAsync(readdir(out));
}

test('report: unreadable, invalid or unknown result files are one line naming the file (exit 2)', async (t) => {
  const bad = path.join(dir, 'bad.json');
  await writeFile(bad, '{"schema": "sharpness/ball@1", ');
  await refused(t, [results[0]!, bad], path.join(dir, 'never-1'), bad, 'not valid JSON');
  const other = path.join(dir, 'other.json');
  await writeFile(other, JSON.stringify({ schema: 'someone/else@3', result: {} }));
  await refused(t, [other], path.join(dir, 'never-2'), other, "'someone/else@3'");
  const broken = path.join(dir, 'broken.json');
  const doc = ballDocument('SGD') as unknown as { result: { baseLoss: unknown } };
  doc.result.baseLoss = null;
  await writeFile(broken, JSON.stringify(doc));
  await refused(t, [broken], path.join(dir, 'never-3'), broken, 'result.baseLoss');
  await refused(t, [path.join(dir, 'missing.json')], path.join(dir, 'never-4'), 'missing.json', 'does not exist');
});

test('report: usage errors (no --out, bad --labels, --out over an input) are one line (exit 2)', async (t) => {
  await refused(t, [results[0]!], null, '--out');
  await refused(t, [results[0]!, '--labels', 'a,,b'], path.join(dir, 'never-5'), '--labels');
  const one = results.find((f) => path.basename(f) === 'ball-l2-SGD.json')!;
  await refused(t, [one, '--labels', 'a,b'], path.join(dir, 'never-6'), '--labels gives 2 labels', '1 checkpoint');
  const inside = path.join(dir, 'report-c');
  await mkdir(inside);
  const input = path.join(inside, 'report.json');
  await writeFile(input, JSON.stringify(ballDocument('SGD')));
  const r = await sharpness(['report', input, '--out', inside]);
  t.is(r.status, 2);
  t.true(r.stderr.includes('would overwrite the input'));
});
