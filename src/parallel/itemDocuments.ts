/**
 * The files of an item job besides its result (see ItemJob.ts), for every item command:
 * - a shard, schema `sharpness/<command>-shard@N`: the result document's header, and as
 *   result the job's fingerprint, identity, description, shard, context (when the job has
 *   one) and the shard's records, which `sharpness merge` combines into the result;
 * - the progress file, schema `sharpness/<command>-progress@N`, next to --out: the records
 *   done so far and the job's identity, read back by a rerun to resume.
 * Files of an older format of the command are read through its module's `upgrade`.
 * Pure: building, parsing and merging; the command line does the I/O.
 */
import { InputError, UsageError } from '../errors.ts';
import { canonicalJson } from '../io/canonicalJson.ts';
import { makeResultDocument, type DocumentHeader, type ResultCost, type ResultDocument } from '../results/resultDocument.ts';
import { sha256Hex } from '../io/sha256.ts';
import { firstDifference } from '../io/canonicalJson.ts';
import type { JobFacts, JobModule } from './ItemJob.ts';
import { itemProgressSchema, itemShardSchema, progressTag as progressSchema, shardTag as shardSchema } from '../results/itemDocuments.ts';
import { parseJsonText } from '../io/parseJsonText.ts';
import { tagOf } from '../results/resultDocuments.ts';
import { validateJson } from '../results/validateJson.ts';
import type { Shard } from './shard.ts';

export { progressTag as progressSchema, shardTag as shardSchema } from '../results/itemDocuments.ts';

/** A computed item: its index and record. */
export interface ItemEntry<R = unknown> {
  i: number;
  record: R;
}

export interface ShardResult<R = unknown> {
  fingerprint: string;
  identity: unknown;
  description: unknown;
  shard: Shard;
  itemCount: number;
  /** The job's context (ItemJob.context), when it has one. */
  context?: unknown;
  /** Ascending by index. */
  items: ItemEntry<R>[];
}

export interface ItemProgress<R = unknown> {
  schema: string;
  fingerprint: string;
  identity: unknown;
  itemCount: number;
  /** Compute time so far, over all runs. */
  seconds: number;
  items: ItemEntry<R>[];
}

/** sha256 of the identity's canonical JSON. */
export function fingerprintOf(identity: unknown): string {
  return sha256Hex(canonicalJson(identity));
}

type Costs = Pick<JobModule, 'recordCost' | 'setupCost'>;

/** The facts of a shard's job (its fingerprint and context). */
export function factsOf(r: Pick<ShardResult, 'fingerprint' | 'context'>): JobFacts {
  return r.context === undefined ? { fingerprint: r.fingerprint } : { fingerprint: r.fingerprint, context: r.context };
}

/** What the records cost (setup included once when `withSetup`), and `seconds`. */
export function costOf(module: Costs, description: unknown, records: readonly unknown[], seconds: number, withSetup: boolean, facts: JobFacts): ResultCost {
  const c = withSetup ? { ...module.setupCost(description, facts) } : { lossEvaluations: 0, gradients: 0, hvps: 0 };
  for (const r of records) {
    const x = module.recordCost(r, facts);
    c.lossEvaluations += x.lossEvaluations;
    c.gradients += x.gradients;
    c.hvps += x.hvps;
  }
  return { seconds, lossEvaluations: c.lossEvaluations, gradients: c.gradients, hvps: c.hvps };
}

/** The result document from every record: what a single run, a resumed run and a merge all write. */
export function resultDocument(
  command: string,
  header: DocumentHeader,
  module: Pick<JobModule, 'assemble' | 'recordCost' | 'setupCost'>,
  description: unknown,
  records: readonly unknown[],
  seconds: number,
  facts: JobFacts,
): ResultDocument {
  return makeResultDocument({
    command,
    ...header,
    result: module.assemble(description, records, facts),
    cost: costOf(module, description, records, seconds, true, facts),
  });
}

export function shardDocument(
  command: string,
  header: DocumentHeader,
  module: Costs,
  result: ShardResult,
  seconds: number,
): ResultDocument<ShardResult> {
  return makeResultDocument({
    schema: shardSchema(command),
    command,
    ...header,
    result,
    cost: costOf(module, result.description, result.items.map((e) => e.record), seconds, false, factsOf(result)),
  });
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * `value` in the current format of a `command` file of `kind`: as it is when its tag is the
 * current one, through the module's `upgrade` when it is an older version of the same file
 * (`sharpness/<command>-<kind>@N`), else null.
 */
function currentFormat(command: string, kind: 'shard' | 'progress', value: unknown, where: string, module: Pick<JobModule, 'upgrade'>): unknown {
  const tag = tagOf(value);
  const current = kind === 'shard' ? shardSchema(command) : progressSchema(command);
  if (tag === current) return value;
  const prefix = current.slice(0, current.lastIndexOf('@') + 1);
  if (tag === undefined || !tag.startsWith(prefix) || !/^\d+$/.test(tag.slice(prefix.length)) || !module.upgrade) return null;
  return module.upgrade(kind, tag, value, where);
}

function checkEntries<R>(items: unknown, where: string, itemCount: number, module: Pick<JobModule, 'checkRecord'>): ItemEntry<R>[] {
  if (!Array.isArray(items)) throw new InputError(`${where} has no items list`);
  return items.map((e) => {
    if (!isObject(e) || !Number.isInteger(e['i']) || (e['i'] as number) < 0 || (e['i'] as number) >= itemCount) {
      throw new InputError(`${where} has an item without a valid index in [0, ${itemCount}): ${JSON.stringify(e).slice(0, 80)}`);
    }
    const i = e['i'] as number;
    return { i, record: module.checkRecord(e['record'], i, `${where} item ${i}`) as R };
  });
}

export function makeProgress(command: string, fingerprint: string, identity: unknown, itemCount: number, seconds: number, items: ItemEntry[]): ItemProgress {
  return { schema: progressSchema(command), fingerprint, identity, itemCount, seconds, items };
}

/**
 * Reads a progress file's text for the job `identity`. The file of another job is a
 * UsageError naming the first difference (a rerun must not mix two computations).
 */
export function parseProgress<R>(
  command: string,
  text: string,
  file: string,
  identity: unknown,
  itemCount: number,
  module: Pick<JobModule, 'checkRecord' | 'upgrade'>,
): ItemProgress<R> {
  const value = currentFormat(command, 'progress', parseJsonText(text, file, `${command}: the progress file `), `${command}: ${file}`, module);
  if (tagOf(value) !== progressSchema(command)) {
    throw new InputError(`${command}: ${file} is not a ${command} progress file (schema ${progressSchema(command)}); remove it or choose another --out`);
  }
  const v = validateJson(itemProgressSchema(command), value, file, `${command}: `, `${command} progress file`, 'remove it to start over');
  const fingerprint = fingerprintOf(identity);
  if (v.fingerprint !== fingerprint) {
    const diff = firstDifference(v.identity, identity);
    throw new UsageError(
      `${command}: ${file} holds partial results of a different computation (${diff ?? 'fingerprints differ'}; saved vs this command); rerun the command that made it, remove the file, or choose another --out`,
    );
  }
  if (v.itemCount !== itemCount) throw new InputError(`${command}: ${file} is for ${v.itemCount} items, this computation has ${itemCount}`);
  const seconds = Number.isFinite(v.seconds) ? v.seconds : 0;
  return makeProgress(command, fingerprint, identity, itemCount, seconds, checkEntries<R>(v.items, `${command}: ${file}`, itemCount, module)) as ItemProgress<R>;
}

/** Whether `value` is a shard document (of any version) of any item command; its command when it is. */
export function shardCommandOf(value: unknown): string | null {
  if (!isObject(value) || !Object.hasOwn(value, 'command') || typeof value['command'] !== 'string') return null;
  const command = value['command'];
  const tag = tagOf(value);
  const prefix = `sharpness/${command}-shard@`;
  return tag !== undefined && tag.startsWith(prefix) && /^\d+$/.test(tag.slice(prefix.length)) ? command : null;
}

/** A parsed shard document (an older format upgraded), checked for shape and records. */
export function parseShardDocument(value: unknown, file: string, module: Pick<JobModule, 'checkRecord' | 'upgrade'>): ResultDocument<ShardResult> {
  const command = shardCommandOf(value);
  if (command === null) throw new InputError(`merge: ${file} is not a shard document`);
  const current = currentFormat(command, 'shard', value, `merge: ${file}`, module);
  if (current === null) {
    throw new InputError(`merge: ${file} is a ${command} shard of another version (schema ${String(tagOf(value))}); this version reads ${shardSchema(command)}`);
  }
  value = current;
  const doc = validateJson(itemShardSchema(command), value, file, 'merge: ', `${command} shard`) as unknown as ResultDocument<ShardResult>;
  const r = doc.result;
  if (fingerprintOf(r.identity) !== r.fingerprint) throw new InputError(`merge: ${file} has been edited (its identity does not match its fingerprint)`);
  const items = checkEntries(r.items, `merge: ${file}`, r.itemCount, module);
  return { ...doc, result: { ...r, items } };
}

function listSome(xs: readonly (number | string)[], max = 8): string {
  return xs.length <= max ? xs.join(', ') : `${xs.slice(0, max).join(', ')}, ... (${xs.length} in all)`;
}

/** The parts of a header that must agree between shards (not the engine's thread count). */
function headerOf(doc: ResultDocument): DocumentHeader {
  const { schema: _s, tool: _t, command: _c, result: _r, cost: _k, ...header } = doc;
  return header;
}

/**
 * Shards of one computation (same fingerprint) that together hold every item exactly once
 * become the document a single run writes (equal to it but for cost.seconds, here the sum
 * of the shards' seconds). What is missing, duplicated or different is named.
 */
export function mergeShards(
  shards: readonly { name: string; doc: ResultDocument<ShardResult> }[],
  module: Pick<JobModule, 'assemble' | 'recordCost' | 'setupCost'>,
): ResultDocument {
  if (shards.length === 0) throw new InputError('merge: no shards given');
  const first = shards[0]!;
  const r0 = first.doc.result;
  const command = first.doc.command;
  for (const s of shards.slice(1)) {
    const r = s.doc.result;
    if (s.doc.command !== command) throw new InputError(`merge: ${s.name} is a ${s.doc.command} shard but ${first.name} is a ${command} shard`);
    if (r.fingerprint !== r0.fingerprint) {
      const diff = firstDifference(r.identity, r0.identity) ?? 'fingerprints differ';
      throw new InputError(`merge: ${s.name} and ${first.name} are shards of different computations (${diff}; ${s.name} vs ${first.name})`);
    }
    const h = firstDifference(headerOf(s.doc), headerOf(first.doc));
    if (h) throw new InputError(`merge: ${s.name} and ${first.name} were run differently (${h}); rerun the shards with the same options`);
    if (r.shard.n !== r0.shard.n) {
      throw new InputError(`merge: ${s.name} is shard ${r.shard.k}/${r.shard.n} but ${first.name} is ${r0.shard.k}/${r0.shard.n}; shards of one split have the same n`);
    }
    const c = firstDifference(r.context ?? null, r0.context ?? null);
    if (c) throw new InputError(`merge: ${s.name} and ${first.name} have different contexts (context.${c}); one of them has been edited`);
  }
  const itemCount = r0.itemCount;
  const owner: (number | undefined)[] = new Array(itemCount);
  const records: unknown[] = new Array(itemCount);
  shards.forEach((s, j) => {
    for (const e of s.doc.result.items) {
      const prev = owner[e.i];
      if (prev !== undefined) {
        const p = shards[prev]!;
        throw new InputError(
          prev === j
            ? `merge: item ${e.i} appears twice in ${s.name}`
            : p.name === s.name
              ? `merge: ${s.name} is given twice; give each shard once`
              : `merge: item ${e.i} is in both ${p.name} (shard ${p.doc.result.shard.k}/${p.doc.result.shard.n}) and ${s.name} (shard ${s.doc.result.shard.k}/${s.doc.result.shard.n}); give each shard once`,
        );
      }
      owner[e.i] = j;
      records[e.i] = e.record;
    }
  });
  const missing: number[] = [];
  for (let i = 0; i < itemCount; i++) if (owner[i] === undefined) missing.push(i);
  if (missing.length > 0) {
    const n = r0.shard.n;
    const shardsMissing = [...new Set(missing.map((i) => (i % n) + 1))].sort((a, b) => a - b);
    throw new InputError(
      `merge: ${missing.length} of ${itemCount} items are missing (items ${listSome(missing)}); missing shard${shardsMissing.length === 1 ? '' : 's'} ${shardsMissing.map((k) => `${k}/${n}`).join(', ')}`,
    );
  }
  const seconds = shards.reduce((s, x) => s + x.doc.cost.seconds, 0);
  return resultDocument(command, headerOf(first.doc), module, r0.description, records, seconds, factsOf(r0));
}
