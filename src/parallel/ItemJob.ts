/**
 * A computation made of independent items (landscape points, volume directions, Hutchinson
 * probes, SLQ runs, ball restarts and samples): item i depends only on the job's inputs and
 * on i (per-item random streams), never on which process computed it or in which order. That
 * is what lets one run be split into shards (`--shard k/n`), across worker threads
 * (`--workers N`) and over interruptions (progress files), and still give the same bytes.
 */

import type { DocumentHeader } from '../results/resultDocument.ts';

/** A job opened in one process (the main one or a worker thread). */
export interface ItemJob<R> {
  /** The fields of its result document besides schema, tool, command, result and cost. */
  readonly header: DocumentHeader;
  /** The command it belongs to ('volume', 'hessian', 'ball', 'landscape'); names files and messages. */
  readonly command: string;
  /** How many items; their indices are 0 .. itemCount - 1. */
  readonly itemCount: number;
  /** What the items are called in progress lines ('directions', 'probes and runs'). */
  readonly itemNoun: string;
  /**
   * Everything the items' values depend on, as JSON (hashes of checkpoints and data,
   * resolved options, seed, tool version, backend): two jobs with equal identity compute
   * equal items, so their partial results may be combined.
   */
  readonly identity: unknown;
  /**
   * What assembling the result takes that the description does not say and only opening
   * the job computes (the landscape's frame: the checkpoints' coordinates, the directions'
   * norms), as JSON; deterministic from the identity. Stored once in each shard, so that
   * `merge` needs no model. Absent for most jobs.
   */
  readonly context?: unknown;
  /** Said once when a run starts (what is computed, and how). */
  readonly note?: string;
  /** Item i's record: JSON-safe (finite numbers, null, strings, arrays, plain objects). */
  compute(i: number): Promise<R> | R;
  /** Frees what the job holds (model, data, tensors). */
  dispose(): void;
}

/** How the process that opens a job may carry it out (no effect on values). */
export interface JobContext {
  /**
   * Worker threads an item computed in this thread may spread its data chunks over (a
   * data-parallel objective, started on its first evaluation): what helps a sequential item
   * such as an eigen-solve when there are fewer items than workers.
   */
  dataWorkers?: number;
}

/** What a job's documents hold of it besides the description and the records. */
export interface JobFacts {
  /** sha256 of the identity's canonical JSON. */
  fingerprint: string;
  /** The job's context (ItemJob.context), when it has one. */
  context?: unknown;
}

/**
 * A module that rebuilds a job from its description, in the main process and in each worker
 * thread. It lives at the command-line edge (src/cli/jobs/) because opening loads files.
 */
export interface JobModule<D = unknown, R = unknown, Res = unknown> {
  /** Loads what the job needs (the engine is already started) and returns it. */
  openJob(description: D, context?: JobContext): Promise<ItemJob<R>>;
  /** Checks a record read back from a progress file or shard (throws InputError naming `where`). */
  checkRecord(value: unknown, i: number, where: string): R;
  /** Pure: the command's result from the description and every record, in index order. */
  assemble(description: D, records: readonly R[], facts: JobFacts): Res;
  /** Loss evaluations, gradients and HVPs that computing this record cost. */
  recordCost(record: R, facts: JobFacts): { lossEvaluations: number; gradients: number; hvps: number };
  /** What the job costs besides its items, once per result (e.g. the loss at w). */
  setupCost(description: D, facts: JobFacts): { lossEvaluations: number; gradients: number; hvps: number };
  /** The one-paragraph summary printed without --json. */
  format(result: Res): string;
  /**
   * Files of this command in an older format (a shard, or a progress file, whose schema tag
   * is `tag`) in the current one, so that what earlier versions wrote still merges and
   * resumes; throws InputError naming `where` when the file is not valid. Absent when the
   * command never had another format.
   */
  upgrade?(kind: 'shard' | 'progress', tag: string, value: unknown, where: string): unknown;
}

/** What a worker thread needs of a job module: the items, not the documents. */
export interface WorkerJobModule {
  openJob(description: unknown): Promise<Pick<ItemJob<unknown>, 'compute' | 'dispose'>>;
}
