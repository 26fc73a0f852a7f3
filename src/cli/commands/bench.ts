/** `sharpness bench [-- options]`: runs the engine benchmark (bench/engine.bench.ts), the same as `npm run bench`. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Argv } from 'yargs';
import type { CommandArgs } from '../command.ts';
import type { GlobalOptions } from '../globalOptions.ts';
import { applyOptions, type ArgsOf } from '../options/OptionTable.ts';
import { BENCH_OPTIONS } from '../options/benchOptions.ts';

export const command = 'bench';
export const describe = 'engine benchmark: forward, gradient, HVP, hessian and landscape throughput per backend (and vs PyTorch if installed)';

type BenchOptions = ArgsOf<typeof BENCH_OPTIONS>;

export function builder(y: Argv<GlobalOptions>): Argv<GlobalOptions & BenchOptions> {
  return applyOptions(y, BENCH_OPTIONS).example('$0 bench --quick --backends wasm', 'a quick wasm benchmark');
}

export async function handler(argv: CommandArgs<BenchOptions>): Promise<void> {
  const script = fileURLToPath(new URL('../../../bench/engine.bench.ts', import.meta.url));
  const args = ['--import=tsx', script];
  if (argv.quick) args.push('--quick');
  if (argv.backends) args.push('--backends', argv.backends);
  if (argv.models) args.push('--models', argv.models);
  if (argv.out) args.push('--out', argv.out);
  // A child process: the benchmark initialises each backend in turn, which this process may not.
  const code = await new Promise<number>((resolve) => {
    spawn(process.execPath, args, { stdio: 'inherit' }).on('close', (c) => resolve(c ?? 1));
  });
  if (code !== 0) process.exitCode = code;
}
