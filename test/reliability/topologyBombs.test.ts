/**
 * Class 3: tiny topologies that hang tfjs (a cycle, a reference to a missing layer) or make
 * it allocate gigabytes (layer sizes the manifest does not hold) are refused on the JSON,
 * before tfjs builds anything.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { sharpness, lines } from '../helpers/cli.ts';
import { tempDir } from '../helpers/checkpoints.ts';
import { useBackend } from '../helpers/engine.ts';
import { FIXTURES } from '../io/helpers/files.ts';
import { buildBuiltinModel } from '../../src/models/builtinModels.ts';
import { saveCheckpoint } from '../../src/io/checkpoint.ts';
import { checkTopologyGraph } from '../../src/io/validateTopology.ts';
import { InputError } from '../../src/errors.ts';

let dir = '';
let n = 0;
test.before(async () => {
  await useBackend('cpu');
  dir = await tempDir('sharpness-topology-');
});

type Json = { modelTopology: { model_config: { config: { layers: { name: string; class_name: string; config: Record<string, unknown>; inbound_nodes: unknown[] }[] } } }; weightsManifest: { weights: { shape: number[] }[] }[] };

/** A copy of a fixture checkpoint with model.json edited. */
function edited(fixture: string, edit: (j: Json) => void): string {
  const d = path.join(dir, `c${++n}`);
  cpSync(path.join(FIXTURES, fixture), d, { recursive: true });
  const j = JSON.parse(readFileSync(path.join(d, 'model.json'), 'utf8')) as Json;
  edit(j);
  writeFileSync(path.join(d, 'model.json'), JSON.stringify(j));
  return d;
}

const manifestElements = (j: Json) => j.weightsManifest.flatMap((g) => g.weights).reduce((a, w) => a + w.shape.reduce((x, y) => x * y, 1), 0);

test('the implied weights equal the manifest for the fixtures and the built-in models', async (t) => {
  for (const f of ['keras-functional', 'keras-sequential']) {
    const j = JSON.parse(readFileSync(path.join(FIXTURES, f, 'model.json'), 'utf8'));
    t.is(checkTopologyGraph(j.modelTopology, f), manifestElements(j), f);
  }
  for (const [name, shape] of [['mlp', [28, 28, 1]], ['cnn', [28, 28, 1]], ['resnet', [28, 28, 1]]] as const) {
    const m = buildBuiltinModel(name, [...shape], 10, 0);
    const d = path.join(dir, name);
    await saveCheckpoint(m, d);
    const expected = m.weights.reduce((a, w) => a + w.shape.reduce((x: number, y) => x * (y as number), 1), 0);
    m.dispose();
    const j = JSON.parse(readFileSync(path.join(d, 'model.json'), 'utf8'));
    const implied = checkTopologyGraph(j.modelTopology, name);
    t.true(implied <= expected, `${name}: ${implied} > ${expected}`);
    if (name === 'mlp') t.is(implied, expected);
  }
});

test('a functional cycle, a missing layer and a missing node are refused at once (no hang)', async (t) => {
  const cycle = edited('keras-functional', (j) => {
    j.modelTopology.model_config.config.layers.find((l) => l.name === 'a')!.inbound_nodes = [[['out', 0, 0, {}]]];
  });
  const missing = edited('keras-functional', (j) => {
    j.modelTopology.model_config.config.layers.find((l) => l.name === 'out')!.inbound_nodes = [[['nowhere', 0, 0, {}]]];
  });
  const node = edited('keras-functional', (j) => {
    j.modelTopology.model_config.config.layers.find((l) => l.name === 'out')!.inbound_nodes = [[['add', 3, 0, {}]]];
  });
  const runs = await Promise.all([cycle, missing, node].map((d) => sharpness(['info', d, '--backend', 'cpu'], { timeoutMs: 40_000 })));
  for (const r of runs) t.is(r.status, 2, r.stderr);
  t.regex(runs[0]!.stderr, /has a model topology that cannot be built: its layers form a cycle through '(a|add|out)'/);
  t.regex(runs[1]!.stderr, /layer 'out' takes its input from 'nowhere', which is not a layer of the model/);
  t.regex(runs[2]!.stderr, /layer 'out' takes its input from node 3 of 'add', which has 1/);
  for (const r of runs) t.is(lines(r.stderr).filter((l) => !l.startsWith('engine:')).length, 1);
});

test('layer sizes the manifest does not hold are refused before anything is allocated', async (t) => {
  // Dense(3) -> Dense(1e9 units) on 1e5 inputs: millions of weights in the config, 38 in the manifest.
  const bomb = edited('keras-functional', (j) => {
    const layers = j.modelTopology.model_config.config.layers;
    layers.find((l) => l.name === 'input_1')!.config['batch_input_shape'] = [null, 100000];
    layers.find((l) => l.name === 'out')!.config['units'] = 1e9;
  });
  const r = await sharpness(['info', bomb, '--backend', 'cpu'], { timeoutMs: 40_000 });
  t.is(r.status, 2, r.stderr);
  t.regex(r.stderr, /the topology in .*model\.json implies at least \d+ weights but its weights manifest holds 38/);
  const j = JSON.parse(readFileSync(path.join(bomb, 'model.json'), 'utf8'));
  t.is(checkTopologyGraph({ class_name: 'Sequential', config: { layers: [{ class_name: 'Dense', config: { units: 2, batch_input_shape: [null, 5] } }] } }, 'x'), 12);
  t.is(checkTopologyGraph(j.modelTopology, 'x'), 2 * (100000 * 3 + 3) + 3 * 1e9 + 1e9);
  t.throws(() => checkTopologyGraph({ class_name: 'Functional', config: { layers: [{ name: 'a', class_name: 'Dense', config: {}, inbound_nodes: [[['a', 0, 0, {}]]] }] } }, 'x'), { instanceOf: InputError, message: /cycle through 'a'/ });
});
