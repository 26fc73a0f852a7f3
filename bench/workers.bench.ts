/**
 * Worker-thread benchmark (not a test): wall seconds of whole CLI runs with --workers 1..N
 * on the built-in MNIST models (seeded initial weights: the cost of a point does not depend
 * on the values), and a check that every run wrote the same document as one worker
 * (cost.seconds aside). Measures what a user sees, worker start-up (engine, data, model in
 * each thread) included.
 *
 *   node --import=tsx bench/workers.bench.ts [--models mlp,cnn] [--workers 1,2] [--samples 5000]
 *     [--grid 21] [--directions 40] [--probes 40] [--commands landscape,volume,hessian,ball]
 *     [--out bench/results/workers.json]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initEngine } from '../src/engine/backend.ts';
import { saveCheckpoint } from '../src/io/checkpoint.ts';
import { buildBuiltinModel, type BuiltinModel } from '../src/models/builtinModels.ts';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const models = arg('models', 'mlp,cnn').split(',') as BuiltinModel[];
const workerCounts = arg('workers', [1, os.availableParallelism()].join(',')).split(',').map(Number);
const samples = Number(arg('samples', '5000'));
const grid = Number(arg('grid', '21'));
const directions = Number(arg('directions', '40'));
const probes = Number(arg('probes', '40'));
const commands = arg('commands', 'landscape,volume,hessian,ball').split(',');
const outFile = arg('out', 'bench/results/workers.json');
const BIN = fileURLToPath(new URL('../bin/sharpness.js', import.meta.url));

await initEngine({ backend: 'wasm' });
const dir = mkdtempSync(path.join(os.tmpdir(), 'sharpness-workers-bench-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const data = `mnist:test:${samples}`;
const COMMANDS: Record<string, (ck: string) => string[]> = {
  landscape: (ck) => ['landscape', ck, '--random-plane', '--range', `-1:1:${grid}`, '--data', data],
  volume: (ck) => ['volume', ck, '--delta', '0.5', '--directions', String(directions), '--data', data],
  hessian: (ck) => ['hessian', ck, '--trace', '--probes', String(probes), '--data', data],
  ball: (ck) => ['ball', ck, '--radius', '0.05', '--restarts', '3', '--samples', String(probes), '--steps', '5', '--data', data],
};

interface Row {
  model: string;
  command: string;
  workers: number;
  seconds: number;
  speedup: number;
  identical: boolean;
}
const rows: Row[] = [];

function canonical(file: string): string {
  const d = JSON.parse(readFileSync(file, 'utf8'));
  d.cost.seconds = 0;
  delete d.options.workers;
  return JSON.stringify(d);
}

for (const name of models) {
  const ck = path.join(dir, name);
  const m = buildBuiltinModel(name, [28, 28, 1], 10, 1);
  await saveCheckpoint(m, ck, { method: name });
  m.dispose();
  for (const command of commands) {
    const make = COMMANDS[command];
    if (!make) throw new Error(`unknown command ${command}`);
    let base: { seconds: number; text: string } | null = null;
    for (const w of workerCounts) {
      const out = path.join(dir, `${name}-${command}-${w}.json`);
      const t0 = performance.now();
      const r = spawnSync(process.execPath, [BIN, ...make(ck), '--workers', String(w), '--out', out, '--quiet'], { encoding: 'utf8' });
      const seconds = (performance.now() - t0) / 1000;
      if (r.status !== 0) throw new Error(`${name} ${command} --workers ${w} failed: ${r.stderr}`);
      const text = canonical(out);
      base ??= { seconds, text };
      const row = { model: name, command, workers: w, seconds, speedup: base.seconds / seconds, identical: text === base.text };
      rows.push(row);
      console.log(`${name.padEnd(4)} ${command.padEnd(10)} workers ${w}: ${seconds.toFixed(1).padStart(6)} s  speed-up ${row.speedup.toFixed(2)}x  ${row.identical ? 'identical' : 'DIFFERENT'}`);
    }
  }
}

mkdirSync(path.dirname(outFile), { recursive: true });
writeFileSync(
  outFile,
  `${JSON.stringify({ date: new Date().toISOString(), cpus: os.availableParallelism(), loadavg: os.loadavg(), options: { models, workerCounts, samples, grid, directions, probes, commands }, rows }, null, 2)}\n`,
);
console.log(`written to ${outFile}`);
