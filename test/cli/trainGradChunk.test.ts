/**
 * `train --grad-chunk G --workers N` from the command line: bad values are one-line usage
 * errors (exit 2) naming the option and the value; a run on 2 workers writes the weights
 * of a run on 1, records gradChunk (in the options, the hyperparameters and the
 * fingerprint) and never the workers, so a rerun with another --workers resumes the run.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { sharpness, lines } from '../helpers/cli.ts';
import { tempDir } from '../helpers/checkpoints.ts';

let dir = '';
test.before(async () => {
  dir = await tempDir('sharpness-cli-gradchunk-');
});

const base = ['train', '--model', 'mlp', '--data', 'synthetic:blobs:96', '--epochs', '1', '--batch-size', '32', '--backend', 'cpu'];

test('bad --grad-chunk and --workers values: one line, exit 2, the option and the value named', async (t) => {
  const cases: [string[], string][] = [
    [['--grad-chunk', '0'], 'train: --grad-chunk must be an integer in [1, 1000000], got 0'],
    [['--grad-chunk', '-1'], 'train: --grad-chunk must be an integer in [1, 1000000], got -1'],
    [['--grad-chunk', '1.5'], 'train: --grad-chunk must be an integer in [1, 1000000], got 1.5'],
    [['--grad-chunk', 'abc'], 'train: --grad-chunk must be an integer in [1, 1000000], got abc'],
    [['--grad-chunk', '1e30'], 'train: --grad-chunk must be an integer in [1, 1000000], got 1e30'],
    [['--grad-chunk', '8', '--workers', '0'], '--workers must be an integer in 1..1024 (worker threads), got 0'],
  ];
  const runs = await Promise.all(cases.map(([args], k) => sharpness([...base, ...args, '--out', path.join(dir, `bad-${k}`)])));
  runs.forEach((r, k) => {
    t.is(r.status, 2, `${cases[k]![0].join(' ')}: ${r.stderr}`);
    const out = lines(r.stderr);
    t.is(out.length, 1, r.stderr);
    t.true(out[0]!.includes(cases[k]![1]), `${out[0]} should say ${cases[k]![1]}`);
  });
});

test('--grad-chunk 16 on 2 workers: the weights of 1 worker; gradChunk recorded, workers not; another --workers resumes', async (t) => {
  const args = [...base, '--grad-chunk', '16', '--json'];
  const [one, two] = await Promise.all([
    sharpness([...args, '--workers', '1', '--out', path.join(dir, 'w1')]),
    sharpness([...args, '--workers', '2', '--out', path.join(dir, 'w2')]),
  ]);
  t.is(one.status, 0, one.stderr);
  t.is(two.status, 0, two.stderr);
  const d1 = JSON.parse(one.stdout);
  const d2 = JSON.parse(two.stdout);
  t.is(d1.options.gradChunk, 16);
  t.false('workers' in d1.options);
  t.false('workers' in d2.options);
  t.is(d2.result.hyperparameters.gradChunk, 16);
  t.is(d2.result.solutions.final.sha256, d1.result.solutions.final.sha256);
  const [w1, w2] = await Promise.all(['w1', 'w2'].map((n) => readFile(path.join(dir, n, 'final', 'weights.bin'))));
  t.true(w1!.equals(w2!), 'byte-identical weights');
  const log = JSON.parse(await readFile(path.join(dir, 'w2', 'train-log.json'), 'utf8'));
  t.is(log.fingerprint.hyperparameters.gradChunk, 16);
  // the finished run, rerun with other workers: the same run (its solutions rewritten)
  const again = await sharpness([...args, '--workers', '3', '--out', path.join(dir, 'w1')]);
  t.is(again.status, 0, again.stderr);
  t.regex(again.stderr, /holds a finished run/);
  t.is(JSON.parse(again.stdout).result.solutions.final.sha256, d1.result.solutions.final.sha256);
});
