/**
 * `sharpness landscape CKPT --data D [--eval-data D2] (--rays N | --to CKPT2 | --plane CKPT2,CKPT3 | --random-plane)`:
 * train/eval loss and error along random rays, the line through two solutions, the plane
 * through three, or a plane of two random filter-normalised directions.
 *
 * Long runs are safe to stop: with --out, finished points go to OUT.partial.json (atomically,
 * every --save-interval seconds and on Ctrl-C), and rerunning the same command resumes from
 * it and writes the same result as an uninterrupted run. --shard k/n computes the items
 * i with i % n === k - 1 into a shard document; `sharpness merge` combines the shards.
 */
import * as fs from 'node:fs';
import type { Argv } from 'yargs';
import type { CommandArgs } from '../command.ts';
import type { GlobalOptions } from '../globalOptions.ts';
import { withAnalysisOptions, type AnalysisOptions } from '../analysisOptions.ts';
import { withItemOptions, type ItemOptions } from '../itemOptions.ts';
import { note, printResult } from '../output.ts';
import { NORMS } from '../../directions/normalizeDirection.ts';
import { LANDSCAPE_DEFAULTS } from '../../landscape/landscapeOptions.ts';
import { LandscapeBn } from '../../landscape/landscapeTypes.ts';
import { UsageError } from '../../errors.ts';

export const command = 'landscape <checkpoint>';
export const describe = 'loss and error along random rays, the line through two solutions, or a plane (through three, or random)';

interface LandscapeCliOptions extends Omit<AnalysisOptions, 'bn'>, ItemOptions {
  checkpoint: string;
  bn: string;
  evalData: string | undefined;
  rays: number | undefined;
  to: string | undefined;
  plane: string | undefined;
  randomPlane: boolean;
  range: string | undefined;
  norm: string | undefined;
  ignore: string | undefined;
}

const GROUP = 'Landscape:';

export function builder(y: Argv<GlobalOptions>): Argv<GlobalOptions & LandscapeCliOptions> {
  return (
    withAnalysisOptions(withItemOptions(y).positional('checkpoint', { describe: 'checkpoint directory (the solution, or the first of a line or plane)', type: 'string', demandOption: true }), { params: false })
      // Adds 'recompute' to --bn's choices (yargs appends choices).
      .option('bn', {
        describe: 'BatchNorm statistics: eval = running (interpolated along lines and planes), train = per chunk, recompute = recomputed from --data at every point',
        choices: [LandscapeBn.recompute],
      })
      .option('eval-data', { describe: 'second data set (e.g. the test set) for eval loss and error', type: 'string', requiresArg: true })
      .option('rays', { describe: 'N random rays from the solution', type: 'number', requiresArg: true })
      .option('to', { describe: 'the line through the checkpoint and CKPT2 (alpha = 0 and 1)', type: 'string', requiresArg: true })
      .option('plane', { describe: 'the plane through the checkpoint, CKPT2 and CKPT3 (CKPT2,CKPT3; further checkpoints after them are projected onto the plane)', type: 'string', requiresArg: true })
      .option('random-plane', { describe: 'the plane of two random directions through the checkpoint', type: 'boolean', default: false })
      .option('range', {
        describe: `grid a:b:n per axis (planes: a:b:n or a:b:n,c:d:m; --plane also auto[:n]). Defaults: rays ${LANDSCAPE_DEFAULTS.raysRange}, --to ${LANDSCAPE_DEFAULTS.lineRange}, --random-plane ${LANDSCAPE_DEFAULTS.randomPlaneRange}, --plane ${LANDSCAPE_DEFAULTS.planeRange}`,
        type: 'string',
        requiresArg: true,
      })
      .option('norm', { describe: 'random directions: filter (Li et al., default), layer, or none (unit Euclidean)', choices: NORMS })
      .option('ignore', { describe: 'random directions leave out bias,bn (default bias,bn with filter/layer, none with none)', type: 'string', requiresArg: true })
      .group(['rays', 'to', 'plane', 'random-plane', 'range', 'norm', 'ignore', 'eval-data'], GROUP)
      .example('$0 landscape runs/sgd --data mnist:train:2000 --eval-data mnist:test --rays 10 --out rays.json', 'ten random rays')
      .example('$0 landscape runs/swa --to runs/sgd --data mnist:train:2000 --eval-data mnist:test --out line.json', 'the SWA-SGD line')
      .example('$0 landscape runs/fge1 --plane runs/fge2,runs/swa --data mnist:train:2000 --out plane.json', 'the plane through three solutions')
      .example('$0 landscape runs/sgd --random-plane --data mnist:test:1000 --shard 2/4 --out part2.json', 'a quarter of a random plane') as unknown as Argv<
      GlobalOptions & LandscapeCliOptions
    >
  );
}

export async function handler(argv: CommandArgs<LandscapeCliOptions>): Promise<void> {
  const startedAt = performance.now();
  const { resolveLandscapeSpec, parseShard, shardIndices } = await import('../../landscape/landscapeOptions.ts');
  const spec = resolveLandscapeSpec({
    checkpoint: argv.checkpoint,
    rays: argv.rays,
    to: argv.to,
    plane: argv.plane,
    randomPlane: argv.randomPlane,
    range: argv.range,
    norm: argv.norm,
    ignore: argv.ignore,
    data: argv.data,
    evalData: argv.evalData,
    loss: argv.loss,
    bn: argv.bn,
    l2: argv.l2,
    batchSize: argv.batchSize,
    seed: argv.seed,
  });
  const shard = parseShard(argv.shard);
  if (argv.workers !== undefined) (await import('../../parallel/WorkerPool.ts')).parseWorkers(argv.workers);
  if (shard && argv.out === undefined) throw new UsageError('landscape: --shard needs --out (the shard document for `sharpness merge`)');
  const { guardOutput } = await import('../../io/inputPaths.ts');
  guardOutput('landscape', argv.out === undefined ? undefined : { kind: 'file', path: argv.out, siblings: ['.partial.json'] }, {
    checkpoints: [argv.checkpoint, argv.to, ...(typeof argv.plane === 'string' ? argv.plane.split(',').map((p) => p.trim()) : [])],
    data: [argv.data, argv.evalData],
  });
  if (typeof argv.saveInterval !== 'number' || !(argv.saveInterval >= 0)) {
    throw new UsageError(`landscape: --save-interval must be a number >= 0, got ${String(argv.saveInterval)}`);
  }

  const { startEngine } = await import('../output.ts');
  const { checkOutPath, checkpointRef, dataRef } = await import('../../analysis/openAnalysis.ts');
  const { engineRef } = await import('../../io/resultDocument.ts');
  const { keepProgress } = await import('../progressKeeper.ts');
  const { writeResultDocument } = await import('../../io/resultDocument.ts');
  const { VERSION } = await import('../../version.ts');
  const { assembleLandscape } = await import('../../landscape/assembleLandscape.ts');
  const { computeItems, progressLine } = await import('../../landscape/computeLandscape.ts');
  const { computeInWorkers } = await import('../../parallel/WorkerPool.ts');
  const { progressPathFor, readIfExists, resolveWorkers, workerBackend } = await import('../itemCommand.ts');
  const { landscapeIdentity, landscapeFingerprint } = await import('../../landscape/landscapeFingerprint.ts');
  const doc = await import('../../landscape/landscapeDocument.ts');
  const { formatLandscape } = await import('../../landscape/formatLandscape.ts');

  const engine = await startEngine(argv);
  const { openLandscape } = await import('../jobs/landscapeJob.ts');
  const opened = await openLandscape(spec, (checkpoints) => checkOutPath(argv.out, { dirs: checkpoints.map((c) => c.dir) }));
  const { checkpoints: loaded, data, evalData, loss, landscape } = opened;
  {
    try {
      const frame = landscape.frame;
      const identity = landscapeIdentity({
        version: VERSION,
        spec,
        checkpointSha256: loaded.map((c) => c.sha256),
        data,
        evalData,
        loss,
        engine,
      });
      const fingerprint = landscapeFingerprint(identity);
      const header: import('../../landscape/landscapeDocument.ts').LandscapeHeader = {
        options: { ...spec, backend: argv.backend, ...(argv.threads !== undefined ? { threads: argv.threads } : {}) },
        seed: spec.seed,
        checkpoint: checkpointRef(loaded[0]!),
        ...(loaded.length > 1 ? { checkpoints: loaded.map(checkpointRef) } : {}),
        data: dataRef(data),
        ...(evalData ? { evalData: dataRef(evalData) } : {}),
        loss,
        bn: spec.bn,
        l2: spec.l2,
        engine: engineRef(engine),
      };
      const selection = shardIndices(frame.itemCount, shard);
      const what = shard ? `items of shard ${shard.k}/${shard.n}` : 'items';
      const finish = (records: import('../../landscape/landscapeTypes.ts').ItemRecord[], seconds: number) => {
        const cost = doc.itemsCost(records.length, landscape.passesPerItem, seconds);
        if (shard) {
          const sorted = [...records].sort((a, b) => a.i - b.i);
          return doc.landscapeDocument(doc.LANDSCAPE_SHARD_SCHEMA, header, { fingerprint, identity, shard, frame, items: sorted }, cost);
        }
        return doc.landscapeDocument(doc.LANDSCAPE_SCHEMA, header, assembleLandscape(frame, fingerprint, records), cost);
      };
      const summary = (d: { result: unknown }) =>
        shard
          ? `landscape: shard ${shard.k}/${shard.n}: ${selection.length} of ${frame.itemCount} items${argv.out ? `, written to ${argv.out}` : ''}; combine the shards with 'sharpness merge'`
          : formatLandscape(d.result as import('../../landscape/assembleLandscape.ts').LandscapeResult);

      // A finished result of this very landscape: nothing to compute.
      const progressPath = argv.out !== undefined ? progressPathFor(argv.out) : undefined;
      if (argv.out !== undefined) {
        const existing = readIfExists(argv.out, 'landscape');
        if (existing !== null) {
          let parsed: unknown = null;
          try {
            parsed = JSON.parse(existing);
          } catch {
            parsed = null;
          }
          const r = (parsed as { schema?: string; result?: { fingerprint?: string; shard?: { k: number; n: number } } } | null) ?? null;
          const same =
            r?.result?.fingerprint === fingerprint &&
            (shard ? r.schema === doc.LANDSCAPE_SHARD_SCHEMA && r.result.shard?.k === shard.k && r.result.shard?.n === shard.n : r.schema === doc.LANDSCAPE_SCHEMA);
          if (same) {
            note(argv, `landscape: ${argv.out} already holds this landscape; nothing to compute`);
            if (progressPath) fs.rmSync(progressPath, { force: true });
            printResult(argv, parsed, () => summary(parsed as { result: unknown }));
            return;
          }
        }
      }

      // Resume from the progress file.
      const done = new Map<number, import('../../landscape/landscapeTypes.ts').ItemRecord>();
      let priorSeconds = 0;
      if (progressPath) {
        const existing = readIfExists(progressPath, 'landscape');
        if (existing !== null) {
          const p = doc.parseProgress(existing, progressPath, fingerprint, identity, frame.itemCount);
          const wanted = new Set(selection);
          for (const r of p.items) if (wanted.has(r.i)) done.set(r.i, r);
          priorSeconds = p.seconds;
          note(argv, `landscape: resuming from ${progressPath}: ${done.size} of ${selection.length} ${what} done`);
        }
      }
      const todo = selection.filter((i) => !done.has(i));
      const secondsSoFar = () => priorSeconds + (performance.now() - startedAt) / 1000;
      const progressText = () =>
        `${JSON.stringify(doc.makeProgress(fingerprint, identity, frame.itemCount, secondsSoFar(), [...done.values()].sort((a, b) => a.i - b.i)))}\n`;
      const progress = keepProgress({
        argv,
        progressPath,
        saveInterval: argv.saveInterval,
        total: todo.length,
        selectionCount: selection.length,
        what,
        text: progressText,
        stored: () => done.size,
        line: (n, total, seconds) => progressLine(n, total, seconds, what),
      });
      try {
        note(argv, `landscape: ${frame.kind}, ${frame.itemCount} items (${frame.pointCount} grid points + ${frame.itemCount - frame.pointCount} checkpoint${frame.itemCount - frame.pointCount === 1 ? '' : 's'})${shard ? `, shard ${shard.k}/${shard.n}: ${selection.length}` : ''}, evaluated by ${landscape.mode}`);
        const onItem = async (record: import('../../landscape/landscapeTypes.ts').ItemRecord) => {
          done.set(record.i, record);
          await progress.itemDone();
        };
        const threads = Math.min(resolveWorkers(argv.workers, engine), todo.length);
        if (threads > 1) {
          note(argv, `landscape: ${todo.length} ${what} on ${threads} worker threads`);
          await computeInWorkers(
            {
              workers: threads,
              module: new URL('../jobs/landscapeJob.ts', import.meta.url).href,
              description: spec,
              engine: { backend: workerBackend(engine), ...(argv.threads !== undefined ? { threads: argv.threads } : {}) },
            },
            todo,
            (_i, record: import('../../landscape/landscapeTypes.ts').ItemRecord) => onItem(record),
          );
        } else {
          await computeItems(landscape, todo, { onItem });
        }
      } finally {
        progress.release();
      }
      const result = finish([...done.values()], secondsSoFar());
      if (argv.out !== undefined) {
        await writeResultDocument(argv.out, result);
        if (progressPath) fs.rmSync(progressPath, { force: true });
      }
      printResult(argv, result, () => summary(result));
    } finally {
      opened.dispose();
    }
  }
}
