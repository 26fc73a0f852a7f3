/**
 * Runs a command whose work is independent items (parallel/ItemJob.ts): the one place that
 * does, for every such command, what a long run needs:
 * - --shard k/n computes the items i with i % n === k - 1 into a shard document, which
 *   `sharpness merge` combines with the others into the result of a single run;
 * - --workers N computes items on N worker threads (same values, bit for bit);
 * - with --out, finished items go to OUT.partial.json (atomically, every --save-interval
 *   seconds and on Ctrl-C); rerunning the same command resumes from it and writes the same
 *   result as an uninterrupted run; an --out that already holds this shard, or this result
 *   when the result names its fingerprint (a landscape's does), is kept.
 */
import * as fs from 'node:fs';
import path from 'node:path';
import type { GlobalOptions } from './globalOptions.ts';
import { DEFAULT_SAVE_INTERVAL, type ItemOptions } from './itemOptions.ts';
import { note, printResult, startEngine } from './output.ts';
import { keepProgress } from './progressKeeper.ts';
import { UsageError } from '../errors.ts';
import { MAX_BYTES, readInputTextSync } from '../io/safeRead.ts';
import { lockOutput } from '../io/outputLock.ts';
import { schemaFor, writeResultDocument, type ResultDocument } from '../results/resultDocument.ts';
import { tagOf, validateResultDocument } from '../results/resultDocuments.ts';
import { workerBackend } from '../parallel/workerBackend.ts';
import type { JobFacts, JobModule } from '../parallel/ItemJob.ts';
import { parseShard, shardIndices } from '../parallel/shard.ts';
import { computeInWorkers, parseWorkers, resolveWorkers } from '../parallel/WorkerPool.ts';
import { progressLine } from '../parallel/progressLine.ts';
import * as docs from '../parallel/itemDocuments.ts';

/**
 * How an item command runs: the engine, the output and the item options. `silent`: the run is
 * a step of another command (compare), whose document goes to --out only.
 */
export type ItemRunOptions = Pick<GlobalOptions, 'backend' | 'threads' | 'quiet' | 'json' | 'out'> & ItemOptions & { silent?: boolean };

export interface ItemCommandSpec<D> {
  command: string;
  /** URL of the JobModule (new URL('./jobs/xJob.ts', import.meta.url).href). */
  module: string;
  /** Everything the job depends on, as JSON: a worker thread opens the same job from it. */
  description: D;
  /** Said after the result is printed (e.g. a convergence warning), from the result. */
  afterResult?: (result: unknown) => string | undefined;
}

/** Where a run with --out keeps its partial results. */
export function progressPathFor(out: string): string {
  return `${out}.partial.json`;
}

/**
 * A file's text, or null when it does not exist; any other failure (a directory, a FIFO, a
 * file too large, unreadable) is an InputError naming the file. Read like every input
 * (io/safeRead.ts): a FIFO at --out cannot hang the command.
 */
export function readIfExists(file: string, command: string): string | null {
  return readInputTextSync(file, { what: command, maxBytes: MAX_BYTES.resultJson, optional: true });
}

export { workerBackend };

export { resolveWorkers };

export async function runItemCommand<D>(argv: ItemRunOptions, spec: ItemCommandSpec<D>): Promise<void> {
  const { command } = spec;
  const startedAt = performance.now();
  const shard = parseShard(argv.shard, command);
  if (argv.workers !== undefined) parseWorkers(argv.workers);
  if (shard && argv.out === undefined) throw new UsageError(`${command}: --shard needs --out (the shard document for \`sharpness merge\`)`);
  if (argv.out !== undefined && !fs.existsSync(path.dirname(path.resolve(argv.out)))) {
    throw new UsageError(`${command}: the directory of --out ${argv.out} does not exist; create it first`);
  }
  const saveInterval = argv.saveInterval ?? DEFAULT_SAVE_INTERVAL;
  if (typeof saveInterval !== 'number' || !(saveInterval >= 0)) {
    throw new UsageError(`${command}: --save-interval must be a number >= 0, got ${String(argv.saveInterval)}`);
  }
  // One run per --out: a second one says the output is in use (io/outputLock.ts).
  const unlock = argv.out === undefined ? () => undefined : lockOutput(command, argv.out);
  const engine = await startEngine(argv);
  const module = (await import(spec.module)) as JobModule<D>;
  const workers = resolveWorkers(argv.workers, engine);
  // Items computed in this thread (one item, or one worker) spread their chunks over the workers.
  const job = await module.openJob(spec.description, { dataWorkers: workers });
  try {
    const fingerprint = docs.fingerprintOf(job.identity);
    const facts: JobFacts = job.context === undefined ? { fingerprint } : { fingerprint, context: job.context };
    const selection = shardIndices(job.itemCount, shard);
    const what = shard ? `${job.itemNoun} of shard ${shard.k}/${shard.n}` : job.itemNoun;
    const ordered = (done: Map<number, unknown>) => [...done.entries()].sort((a, b) => a[0] - b[0]);

    const finish = (done: Map<number, unknown>, seconds: number): ResultDocument => {
      const entries = ordered(done);
      if (shard) {
        const result: docs.ShardResult = {
          fingerprint,
          identity: job.identity,
          description: spec.description,
          shard,
          itemCount: job.itemCount,
          ...(job.context === undefined ? {} : { context: job.context }),
          items: entries.map(([i, record]) => ({ i, record })),
        };
        return docs.shardDocument(command, job.header, module, result, seconds);
      }
      return docs.resultDocument(command, job.header, module, spec.description, entries.map(([, r]) => r), seconds, facts);
    };
    const show = (doc: ResultDocument) => {
      if (shard) {
        printResult(argv, doc, `${command}: shard ${shard.k}/${shard.n}: ${selection.length} of ${job.itemCount} ${job.itemNoun}, written to ${argv.out}; combine the shards with 'sharpness merge'`);
        return;
      }
      printResult(argv, doc, () => module.format(doc.result));
      const after = spec.afterResult?.(doc.result);
      if (after) note(argv, after);
    };

    // This very shard or result, already finished: nothing to compute.
    const progressPath = argv.out !== undefined ? progressPathFor(argv.out) : undefined;
    if (argv.out !== undefined) {
      const text = readIfExists(argv.out, command);
      if (text !== null) {
        const existing = shard ? sameShard(text, fingerprint, shard, command, module) : sameResult(text, fingerprint, command);
        if (existing) {
          note(argv, `${command}: ${argv.out} already holds this result; nothing to compute`);
          if (progressPath) fs.rmSync(progressPath, { force: true });
          show(existing);
          return;
        }
      }
    }

    // Resume from the progress file.
    const done = new Map<number, unknown>();
    let priorSeconds = 0;
    if (progressPath) {
      const text = readIfExists(progressPath, command);
      if (text !== null) {
        const p = docs.parseProgress(command, text, progressPath, job.identity, job.itemCount, module);
        const wanted = new Set(selection);
        for (const e of p.items) if (wanted.has(e.i)) done.set(e.i, e.record);
        priorSeconds = p.seconds;
        note(argv, `${command}: resuming from ${progressPath}: ${done.size} of ${selection.length} ${what} done`);
      }
    }
    const todo = selection.filter((i) => !done.has(i));
    const secondsSoFar = () => priorSeconds + (performance.now() - startedAt) / 1000;
    const progressText = () =>
      `${JSON.stringify(docs.makeProgress(command, fingerprint, job.identity, job.itemCount, secondsSoFar(), ordered(done).map(([i, record]) => ({ i, record }))))}\n`;
    const progress = keepProgress({
      argv,
      progressPath,
      saveInterval,
      total: todo.length,
      selectionCount: selection.length,
      what,
      text: progressText,
      stored: () => done.size,
      line: (n, total, seconds) => progressLine(command, n, total, seconds, what),
    });
    if (job.note !== undefined) note(argv, job.note);
    const onRecord = async (i: number, record: unknown) => {
      done.set(i, record);
      await progress.itemDone();
    };
    try {
      const threads = Math.min(workers, todo.length);
      if (todo.length > 0) {
        note(argv, `${command}: ${todo.length} ${what} to compute${threads > 1 ? ` on ${threads} worker threads` : ''}`);
      }
      if (threads > 1) {
        const backend = workerBackend(engine);
        await computeInWorkers(
          { workers: threads, module: spec.module, description: spec.description, engine: { backend, ...(argv.threads !== undefined ? { threads: argv.threads } : {}) } },
          todo,
          onRecord,
        );
      } else {
        for (const i of todo) {
          await onRecord(i, await job.compute(i));
          // Lets Ctrl-C be handled between items.
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      }
    } finally {
      progress.release();
    }
    const doc = finish(done, secondsSoFar());
    if (argv.out !== undefined) {
      await writeResultDocument(argv.out, doc);
      if (progressPath) fs.rmSync(progressPath, { force: true });
    }
    show(doc);
  } finally {
    job.dispose();
    unlock();
  }
}

/**
 * The shard already at --out when it is this very shard, else null. (A result document
 * keeps no fingerprint, so a finished result is recomputed, not trusted.)
 */
function sameShard(text: string, fingerprint: string, shard: { k: number; n: number }, command: string, module: JobModule): ResultDocument | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (tagOf(v) !== docs.shardSchema(command)) return null;
  try {
    const d = docs.parseShardDocument(v, 'the existing --out', module);
    return d.result.fingerprint === fingerprint && d.result.shard.k === shard.k && d.result.shard.n === shard.n ? d : null;
  } catch {
    return null;
  }
}

/**
 * The result already at --out when it names this computation's fingerprint
 * (result.fingerprint, as a landscape's does) and is a valid `command` document, else null.
 */
function sameResult(text: string, fingerprint: string, command: string): ResultDocument | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (tagOf(v) !== schemaFor(command)) return null;
  try {
    const d = validateResultDocument(v, 'the existing --out', `${command}: `);
    const r = d.result as { fingerprint?: unknown } | null;
    return typeof r === 'object' && r !== null && r.fingerprint === fingerprint ? d : null;
  } catch {
    return null;
  }
}
