/**
 * Does enableWasmThreads (src/engine/wasmThreads.ts) make XNNPACK use more than one core?
 * Prints the thread count in use, 1024x1024 matMul GFLOP/s, and the CPU time of each OS
 * thread during the matMuls (with threads working, more than one thread is busy and
 * cpu/wall approaches the thread count). Run once per count and compare:
 *   node --import=tsx bench/wasmKernelsThreads.ts 1
 *   node --import=tsx bench/wasmKernelsThreads.ts 2
 */
import { readdirSync, readFileSync } from 'node:fs';
import { tf } from '../src/engine/tf.ts';
import { enableWasmThreads } from '../src/engine/wasmThreads.ts';

/** CPU seconds per OS thread of this process, from /proc (Linux only). */
function threadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(tid, (Number(fields[11]) + Number(fields[12])) / 100);
  }
  return out;
}

tf.env().set('PROD', true);
const requested = Number(process.argv[2] ?? 2);
const t0 = performance.now();
const threads = await enableWasmThreads(requested);
console.log(`requested ${requested}, in use ${threads}, init ${(performance.now() - t0).toFixed(0)} ms`);

const a = tf.randomNormal([1024, 1024], 0, 1, 'float32', 1);
const b = tf.randomNormal([1024, 1024], 0, 1, 'float32', 2);
for (let i = 0; i < 3; i++) tf.matMul(a, b).dispose();
const times: number[] = [];
const before = threadCpu();
const cpu0 = process.cpuUsage();
const wall0 = performance.now();
for (let i = 0; i < 15; i++) {
  const s = performance.now();
  const c = tf.matMul(a, b);
  c.dataSync();
  times.push(performance.now() - s);
  c.dispose();
}
const wall = performance.now() - wall0;
const cpu = process.cpuUsage(cpu0);
const after = threadCpu();
times.sort((x, y) => x - y);
const median = times[Math.floor(times.length / 2)]!;
const busy = [...after].map(([tid, s]) => s - (before.get(tid) ?? 0)).filter((s) => s > 0.05);
console.log(`matMul 1024: median ${median.toFixed(1)} ms, ${(2 * 1024 ** 3 / median / 1e6).toFixed(1)} GFLOP/s`);
console.log(`cpu/wall ${((cpu.user + cpu.system) / 1000 / wall).toFixed(2)}; busy threads (CPU s): ${busy.map((s) => s.toFixed(2)).join(', ')}`);
