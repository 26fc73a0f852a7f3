/**
 * Training speed: milliseconds per minibatch step (batch 64) of the built-in models with
 * sgd and sam, after warm-up, on the chosen backend; wall clock and CPU time (the latter is
 * less sensitive to other load on the machine).
 *
 *   node --import=tsx bench/training.bench.ts [wasm|cpu] [steps]
 */
import { initEngine, describeEngine } from '../src/engine/backend.ts';
import { loadDataset } from '../src/io/dataset.ts';
import { BUILTIN_MODELS, buildBuiltinModel } from '../src/models/builtinModels.ts';
import { Trainer } from '../src/training/trainLoop.ts';
import { resolveTrainConfig } from '../src/training/trainConfig.ts';
import { buildTrainingNetwork } from '../src/training/trainingModel.ts';

const backend = (process.argv[2] ?? 'wasm') as 'wasm' | 'cpu';
const steps = Number(process.argv[3] ?? 20);
const info = await initEngine({ backend });
console.log(describeEngine(info));
const data = await loadDataset(`mnist:train:${64 * steps}`);
console.log('| model | params | sgd ms/step (wall / cpu) | sam ms/step (wall / cpu) |');
console.log('|---|---|---|---|');
for (const name of BUILTIN_MODELS) {
  const row: string[] = [];
  let params = 0;
  for (const method of ['sgd', 'sam']) {
    const model = buildBuiltinModel(name, [28, 28, 1], 10, 0);
    params = model.countParams();
    const net = await buildTrainingNetwork(model, 'ce');
    const trainer = new Trainer({ net, data, loss: 'ce', config: resolveTrainConfig({ method, epochs: 2, batchSize: 64 }) });
    await trainer.runEpoch(); // warm-up
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await trainer.runEpoch();
    const c = process.cpuUsage(c0);
    row.push(`${((performance.now() - t0) / steps).toFixed(1)} / ${((c.user + c.system) / 1000 / steps).toFixed(1)}`);
    trainer.dispose();
    net.dispose();
    model.dispose();
  }
  console.log(`| ${name} | ${params} | ${row.join(' | ')} |`);
}
