/**
 * The files of an item job (parallel/itemDocuments.ts builds and merges them), for every
 * item command but `landscape`:
 * - `sharpness/<command>-shard@1`: the result document's header, and as result the job's
 *   fingerprint, identity, description, shard and the shard's records;
 * - `sharpness/<command>-progress@1`, next to --out: the records done so far, for a rerun.
 * The records are the job's own; its `checkRecord` checks them.
 */
import { resultDocumentSchema } from './resultHeader.ts';
import { anyJson, array, integer, literal, number, object, string } from './schema.ts';

export const ITEM_COMMANDS = ['ball', 'hessian', 'volume'] as const;
export type ItemCommand = (typeof ITEM_COMMANDS)[number];

export const shardTag = (command: string) => `sharpness/${command}-shard@1`;
export const progressTag = (command: string) => `sharpness/${command}-progress@1`;

const entry = object({ i: integer(0), record: anyJson() });

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
  return resultDocumentSchema(
    shardTag(command),
    command,
    object({
      fingerprint: string(),
      identity: anyJson(),
      description: anyJson(),
      shard: object({ k: integer(1), n: integer(1) }),
      itemCount: integer(0),
      /** Ascending by index. */
      items: array(entry),
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
    items: array(entry),
  });
}
