/**
 * The documents of a landscape (landscape/ computes them):
 * - `sharpness/landscape@1`, the result: train (and eval) loss and error at the points of
 *   rays, a line or a plane;
 * - its shards and progress files are those of every item job (results/itemDocuments.ts,
 *   version 2), whose records and context (the frame) have the shapes below;
 * - `sharpness/landscape-shard@1` and `sharpness/landscape-progress@1`: the landscape's own
 *   older formats (the frame and the items of one shard; the items done so far), written by
 *   earlier versions and still read: old shards merge and an old progress file resumes.
 */
import { IGNORES, NORMS } from '../directions/normalizeDirection.ts';
import { resultDocumentSchema } from './resultHeader.ts';
import { anyJson, array, boolean, extend, float, integer, literal, nullable, number, object, oneOf, string, written, type Infer } from './schema.ts';

export const LANDSCAPE_TAG = 'sharpness/landscape@1';
export const LANDSCAPE_SHARD_TAG = 'sharpness/landscape-shard@1';
export const LANDSCAPE_PROGRESS_TAG = 'sharpness/landscape-progress@1';

const axis = object({ name: string(), values: array(number()) });
const values = { trainLoss: nullable(float()), trainError: nullable(float()) };
const evalValues = { evalLoss: nullable(float()), evalError: nullable(float()) };
const kind = oneOf(['rays', 'line', 'plane', 'random-plane']);
const bn = oneOf(['eval', 'train', 'recompute']);
const frameCheckpoint = object({ label: string(), path: string(), sha256: string(), x: number() }, { y: number(), offPlane: number() });
const directions = object({ norm: oneOf(NORMS), ignore: array(oneOf(IGNORES)), seed: number() }, { norms: array(float()), cosine: float() });
const line = object({ length: float() });
const plane = object({ origin: string(), u: string(), v: string() });

/** A computed point; a file's may lack values (read as missing). */
export const landscapeItemSchema = object({ i: integer(0), trainLoss: written(nullable(float())), trainError: written(nullable(float())) }, evalValues);

/** A landscape item's record in a shard or progress file (version 2): the values measured there. */
export const landscapeRecordSchema = object(values, evalValues);

export const landscapeFrameSchema = object(
  {
    kind,
    axes: object({ x: axis }, { y: axis }),
    pointCount: integer(0),
    itemCount: integer(0),
    checkpoints: array(frameCheckpoint),
    bn,
    hasEval: boolean(),
  },
  { rays: array(object({ index: integer(0), norm: float() })), directions, line, plane },
);

/**
 * What assembling a landscape takes besides its records (an item job's context, stored once
 * in each shard): the frame, and the full passes over a data set that each item costs.
 */
export const landscapeContextSchema = object({ frame: landscapeFrameSchema, passesPerItem: integer(0) });

export const landscapeResultSchema = object(
  {
    kind,
    fingerprint: string(),
    axes: object({ x: axis }, { y: axis }),
    points: array(object({ i: integer(0), x: number(), ...values }, { ray: integer(0), y: number(), distance: number(), ...evalValues })),
    checkpoints: array(extend(frameCheckpoint, values, evalValues)),
    base: object(values, evalValues),
    bn,
    summary: object({ points: integer(0), nonFinite: integer(0), minTrainLoss: nullable(float()), maxTrainLoss: nullable(float()) }),
  },
  {
    rays: array(object({ index: integer(0), norm: float(), series: array(object({ t: number(), distance: number(), ...values }, evalValues)) })),
    directions,
    line,
    plane,
  },
);
export type LandscapeResultJson = Infer<typeof landscapeResultSchema>;

export const landscapeDocumentSchema = resultDocumentSchema(LANDSCAPE_TAG, 'landscape', landscapeResultSchema);

const shard = object({ k: integer(1), n: integer(1) });

export const landscapeShardSchema = resultDocumentSchema(
  LANDSCAPE_SHARD_TAG,
  'landscape',
  object({ fingerprint: string(), identity: anyJson(), shard, frame: landscapeFrameSchema, items: array(landscapeItemSchema) }),
);

export const landscapeProgressSchema = object({
  schema: literal(LANDSCAPE_PROGRESS_TAG),
  fingerprint: string(),
  identity: anyJson(),
  itemCount: integer(0),
  /** Compute time spent on the items so far, over all runs. */
  seconds: number(),
  items: array(landscapeItemSchema),
});
