/**
 * The files of an item job (parallel/itemDocuments.ts builds and merges them), for every
 * item command:
 * - `sharpness/<command>-shard@N`: the result document's header, and as result the job's
 *   fingerprint, identity, description, shard, the job's context when it has one (the
 *   landscape's frame) and the shard's records;
 * - `sharpness/<command>-progress@N`, next to --out: the records done so far, for a rerun.
 * N is 1, but 2 for `landscape`, whose version 1 files were its own older formats
 * (results/landscapeDocuments.ts; still read, see landscape/legacyLandscapeFiles.ts).
 * The records are the job's own; its `checkRecord` checks them.
 */
import { landscapeContextSchema, landscapeRecordSchema } from './landscapeDocuments.ts';
import { resultDocumentSchema } from './resultHeader.ts';
import { anyJson, array, integer, literal, number, object, string, type Schema } from './schema.ts';

export const ITEM_COMMANDS = ['ball', 'hessian', 'volume', 'landscape'] as const;
export type ItemCommand = (typeof ITEM_COMMANDS)[number];

/** The major version of a command's shard and progress formats. */
const MAJOR: Readonly<Record<string, number>> = { landscape: 2 };
const majorOf = (command: string) => (Object.hasOwn(MAJOR, command) ? MAJOR[command]! : 1);

export const shardTag = (command: string) => `sharpness/${command}-shard@${majorOf(command)}`;
export const progressTag = (command: string) => `sharpness/${command}-progress@${majorOf(command)}`;

/** The schemas of the commands whose records and context have a fixed shape (others: any JSON). */
const RECORDS: Readonly<Record<string, Schema<unknown>>> = { landscape: landscapeRecordSchema as Schema<unknown> };
const CONTEXTS: Readonly<Record<string, Schema<unknown>>> = { landscape: landscapeContextSchema as Schema<unknown> };
const own = <T>(table: Readonly<Record<string, T>>, command: string): T | undefined => (Object.hasOwn(table, command) ? table[command] : undefined);

const entry = (command: string) => object({ i: integer(0), record: own(RECORDS, command) ?? anyJson() });

const shards = new Map<string, ReturnType<typeof makeShardSchema>>();
const progresses = new Map<string, ReturnType<typeof makeProgressSchema>>();

/** The schema of a `command` shard (one object per command, so its validator is compiled once). */
export function itemShardSchema(command: string) {
  let s = shards.get(command);
  if (!s) shards.set(command, (s = makeShardSchema(command)));
  return s;
}

/** The schema of a `command` progress file. */
export function itemProgressSchema(command: string) {
  let s = progresses.get(command);
  if (!s) progresses.set(command, (s = makeProgressSchema(command)));
  return s;
}

function makeShardSchema(command: string) {
  const context = own(CONTEXTS, command);
  return resultDocumentSchema(
    shardTag(command),
    command,
    object({
      fingerprint: string(),
      identity: anyJson(),
      description: anyJson(),
      shard: object({ k: integer(1), n: integer(1) }),
      itemCount: integer(0),
      ...(context ? { context } : {}),
      /** Ascending by index. */
      items: array(entry(command)),
    }),
  );
}

function makeProgressSchema(command: string) {
  return object({
    schema: literal(progressTag(command)),
    fingerprint: string(),
    identity: anyJson(),
    itemCount: integer(0),
    /** Compute time so far, over all runs. */
    seconds: number(),
    items: array(entry(command)),
  });
}
