/**
 * demo's training runs record the options `sharpness train` records for the same command
 * line (but for the alias lrSchedule, which only train's parser adds and demo never recorded),
 * and what demo recorded when it called train's handler with a hand-made argv.
 */
import test from 'ava';
import { demoPlan, demoTrainRun } from '../../src/cli/commands/demo.ts';
import { recordedOptions } from '../../src/analysis/openAnalysis.ts';
import { recordedOptionsOf } from '../helpers/recordedOptionsOf.ts';
import { Backend } from '../../src/engine/backendNames.ts';

const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const global = { backend: Backend.cpu, threads: 2, seed: 3 };
const data = 'mnist:train:4000';
const evalData = 'mnist:test:2000';

for (const run of demoPlan(12, 4000).runs) {
  test(`demo's ${run.name} run records what train records`, async (t) => {
    const ours = demoTrainRun(global, { data, evalData, args: run.args, outDir: `runs/${run.name}` }, recordedOptions);
    const line = ['train', '--data', data, '--eval-data', evalData, '--backend', 'cpu', '--threads', '2', '--seed', '3', '--out', `runs/${run.name}`];
    for (const [k, v] of Object.entries(run.args)) line.push(`--${kebab(k)}`, String(v));
    const train = await recordedOptionsOf('.', line);
    t.is(train['lrSchedule'], train['schedule']);
    delete train['lrSchedule'];
    t.is(JSON.stringify(ours.recorded), JSON.stringify(train));
    // The hand-made argv demo gave train's handler before runTrain (src/cli/commands/demo.ts at b039755).
    const before = { _: [], $0: 'sharpness', ...global, json: false, quiet: false, debug: false, silent: true, data, evalData, loss: 'auto', ...run.args, out: `runs/${run.name}` };
    t.is(JSON.stringify(ours.recorded), JSON.stringify(recordedOptions(before)));
    t.is(ours.seed, 3);
    t.is(ours.model, 'cnn');
    t.is(ours.outDir, `runs/${run.name}`);
  });
}
