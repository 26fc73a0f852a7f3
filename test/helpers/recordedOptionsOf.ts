/**
 * The options a command records in its result document for a command line, computed the way
 * the command computes them but without running it: the command's builder parses the line,
 * and the recorded object is what its handler would write. `root` is a checkout of the
 * project, so the same code reads the options of this checkout and of an older one (the
 * fixture test/cli/fixtures/recorded-options.json was made from main with
 * `npx tsx test/helpers/recordedOptionsOf.ts /path/to/main > test/cli/fixtures/recorded-options.json`).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import yargs from 'yargs';

/** Command lines whose recorded options must not change (paths need not exist: nothing is loaded). */
export const RECORDED_LINES: readonly (readonly string[])[] = [
  ['hessian', 'ck', '--data', 'mnist:test:100'],
  ['hessian', 'ck', '--data', 'mnist:test:100', '--top-k', '3', '--trace', '--density', '--runs', '2', '--steps', '20', '--grid-points', '300', '--seed', '5', '--backend', 'cpu', '--out', 'h.json', '--workers', '2'],
  ['hessian', 'ck', '--data', 'mnist:test', '--samples', '50', '--solver', 'power', '--max-iter', '30', '--sigma', '0.1', '--params', 'dense*', '--threads', '2'],
  ['ball', 'ck', '--data', 'mnist:test:100', '--radius', '0.01,0.1'],
  ['ball', 'ck', '--data', 'mnist:test:100', '--radius', '5e-4', '--norm', 'box', '--steps', '3', '--restarts', '1', '--samples', '8', '--batch-size', '50', '--l2', '0.001'],
  ['volume', 'ck', '--data', 'mnist:test:100', '--delta', '0.1'],
  ['volume', 'ck', '--data', 'mnist:test:100', '--delta', '0.5', '--directions', '4', '--norm', 'filter', '--ignore', 'bias', '--per-layer', '--bootstrap', '10'],
  ['landscape', 'ck', '--data', 'mnist:test:100', '--rays', '3'],
  ['landscape', 'ck', '--data', 'mnist:test:100', '--to', 'ck2', '--eval-data', 'mnist:test:50', '--range', '0:1:5', '--bn', 'recompute'],
  ['landscape', 'ck', '--data', 'mnist:test:100', '--random-plane', '--norm', 'layer', '--seed', '3'],
  ['evaluate', 'ck', 'ck2', '--data', 'mnist:test:100', '--ensemble'],
  ['info', 'ck'],
  ['train', '--model', 'mlp', '--data', 'mnist:train:100', '--out', 'runs/x'],
  ['train', '--model', 'mlp', '--data', 'mnist:train:100', '--method', 'sam', '--rho', '0.1', '--epochs', '3', '--lr', '0.01', '--schedule', 'cosine', '--out', 'runs/x'],
  ['swa', 'ck', 'ck2', '--data', 'mnist:train:100', '--out', 'runs/s'],
  // Added with the tables of train, swa, info and selftest (captured from the code before them).
  ['train', '--init', 'ck', '--data', 'npy:x.npy,y.npy', '--eval-data', 'mnist:test:50', '--loss', 'mse', '--epochs', '4', '--batch-size', '32', '--momentum', '0.5', '--l2', '0.001', '--lr-schedule', 'step', '--lr-milestones', '2,3', '--lr-gamma', '0.5', '--save-every', '2', '--seed', '7', '--threads', '1', '--quiet', '--out', 'runs/y'],
  ['train', '--model', 'cnn', '--data', 'mnist:train:100', '--method', 'sam', '--p', 'inf', '--adaptive', '--asam-eta', '0.01', '--schedule', 'linear', '--lr-final', '0.001', '--backend', 'cpu', '--out', 'runs/z'],
  ['train', '--model', 'mlp', '--data', 'mnist:train:100', '--method', 'fge', '--swa-start', '2', '--swa-lr', '0.001', '--cycle', '4', '--json', '--out', 'runs/f'],
  ['swa', 'a', 'b', 'c', '--data', 'mnist:train:100', '--eval-data', 'mnist:test:100', '--loss', 'ce', '--batch-size', '16', '--seed', '2', '--out', 'runs/s'],
  ['info', 'ck', '--out', 'info.json', '--backend', 'wasm', '--seed', '3'],
  ['selftest', 'ck', '--data', 'mnist:test:100', '--directions', '2'],
  ['selftest', 'ck', '--data', 'mnist:test:100', '--step', '0.01', '--l2', '0.5', '--params', 'dense*'],
];

/** The recorded options of `args` under the checkout `root`. */
export async function recordedOptionsOf(root: string, args: readonly string[]): Promise<Record<string, unknown>> {
  const at = (p: string) => pathToFileURL(path.join(root, p)).href;
  const { COMMANDS } = (await import(at('src/cli/main.ts'))) as { COMMANDS: { command: string; builder(y: unknown): unknown }[] };
  const { withGlobalOptions, validateGlobalOptions } = await import(at('src/cli/globalOptions.ts'));
  const { recordedOptions } = await import(at('src/analysis/openAnalysis.ts'));
  const c = COMMANDS.find((m) => m.command.split(' ')[0] === args[0]);
  if (!c) throw new Error(`no command ${args[0]}`);
  let argv: Record<string, unknown> | undefined;
  await withGlobalOptions(yargs([...args]))
    .strict()
    .exitProcess(false)
    .fail((msg: string, err: Error) => {
      throw err ?? new Error(msg);
    })
    .middleware((a: Record<string, unknown>) => validateGlobalOptions(a))
    .command({ command: c.command, describe: 'x', builder: (y: never) => c.builder(y), handler: (a: Record<string, unknown>) => void (argv = a) })
    .parseAsync();
  if (!argv) throw new Error('not parsed');
  if (args[0] === 'landscape') {
    // landscape records its resolved spec and the engine options.
    const { resolveLandscapeSpec } = await import(at('src/landscape/landscapeOptions.ts'));
    const a = argv;
    const spec = resolveLandscapeSpec({
      checkpoint: a.checkpoint, rays: a.rays, to: a.to, plane: a.plane, randomPlane: a.randomPlane, range: a.range, norm: a.norm, ignore: a.ignore,
      data: a.data, evalData: a.evalData, loss: a.loss, bn: a.bn, l2: a.l2, batchSize: a.batchSize, seed: a.seed,
    });
    return { ...spec, backend: a.backend, ...(a.threads !== undefined ? { threads: a.threads } : {}) };
  }
  return recordedOptions(argv) as Record<string, unknown>;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const root = path.resolve(process.argv[2] ?? '.');
  const out: { args: readonly string[]; recorded: Record<string, unknown> }[] = [];
  for (const args of RECORDED_LINES) out.push({ args, recorded: await recordedOptionsOf(root, args) });
  process.stdout.write(`${JSON.stringify(out, null, 1)}\n`);
}
