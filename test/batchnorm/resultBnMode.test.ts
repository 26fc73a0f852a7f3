/**
 * Every measure's result records the BatchNorm mode it ran in: evaluate, hessian, ball,
 * volume and landscape documents carry `bn` equal to the --bn given (train, not the default,
 * so a field filled from a default would fail), on a checkpoint with BatchNorm. (A recipe's
 * results.json records its mode too: test/recipes/recipeCli.test.ts.)
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { tfl } from '../../src/engine/tf.ts';
import { createRng } from '../../src/engine/rng.ts';
import { saveCheckpoint } from '../../src/io/checkpoint.ts';
import { sharpness } from '../helpers/cli.ts';
import { tempDir } from '../helpers/checkpoints.ts';
import { seedWeights } from '../helpers/layerCases.ts';
import { useBackend } from '../helpers/engine.ts';

let dir: string;
let ckpt: string;
const DATA = 'synthetic:blobs:60';

test.before(async () => {
  await useBackend('cpu');
  dir = await tempDir('sharpness-bn-docs-');
  const L = tfl.layers;
  const m = tfl.sequential({
    layers: [L.dense({ inputShape: [2], units: 5, name: 'd1' }), L.batchNormalization({ name: 'bn' }), L.activation({ activation: 'relu' }), L.dense({ units: 3, activation: 'softmax', name: 'out' })],
  });
  seedWeights(m, createRng(3));
  ckpt = path.join(dir, 'bn-ckpt');
  await saveCheckpoint(m, ckpt, { method: 'test' });
  m.dispose();
});

const COMMANDS: [string, string[]][] = [
  ['evaluate', []],
  ['hessian', ['--max-iter', '10']],
  ['ball', ['--radius', '0.01', '--norm', 'l2', '--steps', '2', '--samples', '2', '--restarts', '0']],
  ['volume', ['--delta', '0.1', '--directions', '2', '--bootstrap', '10']],
  ['landscape', ['--rays', '1', '--range', '0:1:2']],
];

for (const [command, extra] of COMMANDS) {
  test(`${command} --bn train records bn: "train" in its result document`, async (t) => {
    const out = path.join(dir, `${command}.json`);
    const r = await sharpness([command, ckpt, '--data', DATA, '--bn', 'train', ...extra, '--out', out, '--quiet'], { timeoutMs: 120_000 });
    t.is(r.status, 0, r.stderr);
    const doc = JSON.parse(await readFile(out, 'utf8')) as { bn?: unknown; command: string };
    t.is(doc.command, command);
    t.is(doc.bn, 'train');
  });
}
