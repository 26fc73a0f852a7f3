/**
 * A plane through three checkpoints carrying more: each further checkpoint sits at its
 * orthogonal projection, with its distance from the plane; the average of the three lies
 * in the plane at their centroid; a point off the plane is at the Pythagorean distance.
 */
import test from 'ava';
import { tfl } from '../../src/engine/tf.ts';
import * as pv from '../../src/engine/paramVector.ts';
import { createRng } from '../../src/engine/rng.ts';
import { generateSynthetic } from '../../src/io/synthetic.ts';
import type { Dataset } from '../../src/io/dataset.ts';
import { createModelObjective } from '../../src/objective/modelObjective.ts';
import { Loss } from '../../src/objective/losses.ts';
import { createLandscape, type LandscapeCheckpoint } from '../../src/landscape/createLandscape.ts';
import { resolveLandscapeSpec, type LandscapeRequest } from '../../src/landscape/landscapeOptions.ts';
import { UsageError } from '../../src/errors.ts';
import { seedWeights } from '../helpers/layerCases.ts';
import { useBackend } from '../helpers/engine.ts';

const L = tfl.layers;
let data: Dataset;

test.before(async () => {
  await useBackend('cpu');
  data = generateSynthetic('blobs', 60, 0);
});

function mlp(seed: number): tfl.LayersModel {
  const m = tfl.sequential({ layers: [L.dense({ inputShape: [2], units: 4, activation: 'tanh' }), L.dense({ units: 3, activation: 'softmax' })] });
  seedWeights(m, createRng(seed));
  return m;
}

const ck = (model: tfl.LayersModel, label: string): LandscapeCheckpoint => ({ model, label, path: `runs/${label}`, sha256: label.padEnd(64, '0') });

const req = (plane: string): LandscapeRequest => ({ checkpoint: 'runs/a', data: data.spec, loss: 'ce', bn: 'eval', l2: 0, batchSize: 30, seed: 1, plane, range: 'auto:3' });

test('plane with projected checkpoints: centroid in the plane; an off-plane point at its projection and distance; evaluated at its own weights', async (t) => {
  const ms = [mlp(1), mlp(2), mlp(3)];
  const ws = ms.map((m) => m.trainableWeights.map((x) => x.read()));
  const mean = pv.linearCombination([1 / 3, 1 / 3, 1 / 3], ws);
  const avg = mlp(4);
  avg.setWeights(mean);
  const other = mlp(5);
  const spec = resolveLandscapeSpec(req('runs/b,runs/c,runs/avg,runs/other'));
  const ls = await createLandscape({ spec, checkpoints: [ck(ms[0]!, 'a'), ck(ms[1]!, 'b'), ck(ms[2]!, 'c'), ck(avg, 'avg'), ck(other, 'other')], data, loss: Loss.ce });
  const cs = ls.frame.checkpoints;
  t.is(cs.length, 5);
  t.is(ls.frame.itemCount, 9 + 5);
  const tol = 1e-5;
  t.true(Math.abs(cs[3]!.x - (cs[0]!.x + cs[1]!.x + cs[2]!.x) / 3) < tol, `centroid x ${cs[3]!.x}`);
  t.true(Math.abs(cs[3]!.y! - (cs[0]!.y! + cs[1]!.y! + cs[2]!.y!) / 3) < tol, `centroid y ${cs[3]!.y}`);
  t.true(cs[3]!.offPlane! < 1e-3, `the average is in the plane: ${cs[3]!.offPlane}`);
  // the off-plane point: its projection p satisfies |w - p|^2 = offPlane^2 and |w - w1|^2 = x^2 + y^2 + offPlane^2
  const w5 = other.trainableWeights.map((x) => x.read());
  const p = ls.trainableAt({ x: cs[4]!.x, y: cs[4]!.y! });
  const r = pv.sub(w5, p);
  t.true(Math.abs(pv.norm(r) - cs[4]!.offPlane!) < 1e-4 * (1 + cs[4]!.offPlane!), `off-plane distance ${pv.norm(r)} vs ${cs[4]!.offPlane}`);
  const d = pv.sub(w5, ws[0]!);
  t.true(Math.abs(pv.dot(d, d) - (cs[4]!.x ** 2 + cs[4]!.y! ** 2 + cs[4]!.offPlane! ** 2)) < 1e-4 * pv.dot(d, d));
  // the residual is orthogonal to the plane: to w2 - w1 and w3 - w1
  for (const k of [1, 2]) {
    const e = pv.sub(ws[k]!, ws[0]!);
    t.true(Math.abs(pv.dot(r, e)) < 1e-4 * pv.norm(r) * pv.norm(e), `residual orthogonal to w${k + 1} - w1`);
    pv.dispose(e);
  }
  // the extra checkpoints' items are their own values
  const obj = await createModelObjective(other, data, { loss: Loss.ce, batchSize: 30 });
  t.is((await ls.evaluateItem(9 + 4)).trainLoss, obj.loss(obj.params));
  obj.dispose();
  pv.dispose(p, r, d, mean);
  ls.dispose();
  [...ms, avg, other].forEach((m) => m.dispose());
});

test('--plane takes two to seven checkpoints', (t) => {
  t.throws(() => resolveLandscapeSpec(req('runs/b')), { instanceOf: UsageError, message: /--plane must be two checkpoints CKPT2,CKPT3.*got runs\/b/ });
  t.throws(() => resolveLandscapeSpec(req('b,c,d,e,f,g,h,i')), { instanceOf: UsageError, message: /up to 5 more/ });
  t.is(resolveLandscapeSpec(req('b,c,d')).checkpoints.length, 4);
});
