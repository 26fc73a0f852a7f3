/**
 * `sharpness landscape` run from its resolved spec (the job description): the command's
 * handler and compare's steps both run it. With --out, finished points go to
 * OUT.partial.json and a rerun resumes; --shard k/n writes a shard document for `merge`;
 * `silent` (a step of another command) writes the document to --out only.
 */
import * as fs from 'node:fs';
import type { GlobalOptions } from '../globalOptions.ts';
import type { ItemOptions } from '../itemOptions.ts';
import { note, printResult } from '../output.ts';
import { UsageError } from '../../errors.ts';
import { parseShard, shardIndices, type LandscapeSpec } from '../../landscape/landscapeOptions.ts';

/** How a landscape runs: the engine, the output and the item options. */
export type LandscapeRun = Pick<GlobalOptions, 'backend' | 'threads' | 'quiet' | 'json' | 'out'> & ItemOptions & { silent?: boolean };

export async function runLandscape(argv: LandscapeRun, spec: LandscapeSpec): Promise<void> {
  const startedAt = performance.now();
  const shard = parseShard(argv.shard);
  if (argv.workers !== undefined) (await import('../../parallel/WorkerPool.ts')).parseWorkers(argv.workers);
  if (shard && argv.out === undefined) throw new UsageError('landscape: --shard needs --out (the shard document for `sharpness merge`)');
  const { guardOutput } = await import('../../io/inputPaths.ts');
  guardOutput('landscape', argv.out === undefined ? undefined : { kind: 'file', path: argv.out, siblings: ['.partial.json'] }, {
    checkpoints: spec.checkpoints,
    data: [spec.data, spec.evalData],
  });
  if (typeof argv.saveInterval !== 'number' || !(argv.saveInterval >= 0)) {
    throw new UsageError(`landscape: --save-interval must be a number >= 0, got ${String(argv.saveInterval)}`);
  }

  const { startEngine } = await import('../output.ts');
  const { checkpointRef, dataRef } = await import('../../analysis/openAnalysis.ts');
  const { engineRef } = await import('../../results/resultDocument.ts');
  const { keepProgress } = await import('../progressKeeper.ts');
  const { writeResultDocument } = await import('../../results/resultDocument.ts');
  const { VERSION } = await import('../../version.ts');
  const { assembleLandscape } = await import('../../landscape/assembleLandscape.ts');
  const { computeItems, progressLine } = await import('../../landscape/computeLandscape.ts');
  const { computeInWorkers } = await import('../../parallel/WorkerPool.ts');
  const { progressPathFor, readIfExists, resolveWorkers, workerBackend } = await import('../itemCommand.ts');
  const { landscapeIdentity, landscapeFingerprint } = await import('../../landscape/landscapeFingerprint.ts');
  const doc = await import('../../landscape/landscapeDocument.ts');
  const { formatLandscape } = await import('../../landscape/formatLandscape.ts');

  const engine = await startEngine(argv);
  const { openLandscape } = await import('./landscapeJob.ts');
  const opened = await openLandscape(spec);
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
              module: new URL('./landscapeJob.ts', import.meta.url).href,
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
