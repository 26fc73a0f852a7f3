/** `sharpness bench [-- options]`: runs the engine benchmark (bench/engine.bench.ts), the same as `npm run bench`. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Argv } from 'yargs';
import type { CommandArgs } from '../command.ts';
import type { GlobalOptions } from '../globalOptions.ts';

export const command = 'bench';
export const describe = 'engine benchmark: forward, gradient, HVP, hessian and landscape throughput per backend (and vs PyTorch if installed)';

interface BenchOptions {
  quick: boolean;
  backends: string | undefined;
  models: string | undefined;
}

export function builder(y: Argv<GlobalOptions>): Argv<GlobalOptions & BenchOptions> {
  return y
    .option('quick', { describe: 'MLP and CNN, 3 repetitions, 2,000 samples end to end', type: 'boolean', default: false })
    .option('backends', { describe: 'comma-separated: cpu,wasm,wasm-threads', type: 'string', requiresArg: true })
    .option('models', { describe: 'comma-separated: mlp,cnn,resnet', type: 'string', requiresArg: true })
    .example('$0 bench --quick --backends wasm', 'a quick wasm benchmark') as unknown as Argv<GlobalOptions & BenchOptions>;
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
