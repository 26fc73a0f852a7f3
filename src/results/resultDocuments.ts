/**
 * Every document sharpness writes and reads back, by schema tag: the one table the
 * validators, `npm run schemas` (schemas/*.schema.json) and the tests read.
 */
import { InputError } from '../errors.ts';
import { BALL_TAG, ballDocumentSchema } from './ballDocument.ts';
import { COMPARE_PLAN_TAG, COMPARE_TAG, comparePlanSchema, compareSchema } from './compareDocuments.ts';
import { EVALUATE_TAG, evaluateDocumentSchema } from './evaluateDocument.ts';
import { HESSIAN_TAG, hessianDocumentSchema } from './hessianDocument.ts';
import { ITEM_COMMANDS, itemProgressSchema, itemShardSchema, progressTag, shardTag } from './itemDocuments.ts';
import {
  LANDSCAPE_PROGRESS_TAG,
  LANDSCAPE_SHARD_TAG,
  LANDSCAPE_TAG,
  landscapeDocumentSchema,
  landscapeProgressSchema,
  landscapeShardSchema,
} from './landscapeDocuments.ts';
import { anyResultDocumentSchema, type ResultDocument } from './resultHeader.ts';
import type { Schema } from './schema.ts';
import { parseSchemaTag } from './schemaTag.ts';
import { VOLUME_TAG, volumeDocumentSchema } from './volumeDocument.ts';
import { TRAIN_LOG_TAG, TRAIN_TAG, trainDocumentSchema, trainLogSchema } from './trainDocuments.ts';
import { validateJson } from './validateJson.ts';

export interface DocumentKind {
  tag: string;
  /** File name stem under schemas/: the tag without `sharpness/` and `@` (ball-1, hessian-shard-1). */
  name: string;
  /** One line for the schema's title. */
  title: string;
  schema: Schema<unknown>;
}

function kind(tag: string, title: string, schema: Schema<unknown>): DocumentKind {
  return { tag, name: tag.replace(/^sharpness\//, '').replace('@', '-'), title, schema };
}

export const DOCUMENT_KINDS: readonly DocumentKind[] = [
  kind(EVALUATE_TAG, 'sharpness evaluate: loss and accuracy of checkpoints and of their ensemble', evaluateDocumentSchema),
  kind(HESSIAN_TAG, 'sharpness hessian: eigenvalues, trace, spectral density and per-layer blocks of the Hessian', hessianDocumentSchema),
  kind(BALL_TAG, 'sharpness ball: max and average loss within eps-balls or boxes around a solution', ballDocumentSchema),
  kind(VOLUME_TAG, 'sharpness volume: log volume of the region where the loss stays within delta', volumeDocumentSchema),
  kind(LANDSCAPE_TAG, 'sharpness landscape: loss and error along rays, a line or a plane', landscapeDocumentSchema),
  kind(LANDSCAPE_SHARD_TAG, 'sharpness landscape --shard k/n, older versions: one shard of a landscape (still merged)', landscapeShardSchema),
  kind(LANDSCAPE_PROGRESS_TAG, 'sharpness landscape, older versions: the points computed so far (still resumed)', landscapeProgressSchema),
  ...ITEM_COMMANDS.flatMap((c) => [
    kind(shardTag(c), `sharpness ${c} --shard k/n: one shard of the computation, for sharpness merge`, itemShardSchema(c)),
    kind(progressTag(c), `sharpness ${c}: the items computed so far, for a rerun to resume`, itemProgressSchema(c)),
  ]),
  kind(TRAIN_TAG, 'sharpness train: the result of a training run (result.json)', trainDocumentSchema),
  kind(TRAIN_LOG_TAG, 'sharpness train: the training log, per epoch and per iteration', trainLogSchema),
  kind(COMPARE_PLAN_TAG, 'sharpness compare: the plan of a comparison (OUT/compare.json)', comparePlanSchema),
  kind(COMPARE_TAG, 'sharpness compare: where the report and the results of a comparison are', compareSchema),
];

const BY_TAG: ReadonlyMap<string, DocumentKind> = new Map(DOCUMENT_KINDS.map((k) => [k.tag, k]));

/** The document kind of a schema tag; undefined for a tag this version does not know (own lookups only). */
export function documentKind(tag: unknown): DocumentKind | undefined {
  return typeof tag === 'string' ? BY_TAG.get(tag) : undefined;
}

/** The schema tag of a parsed value, when it is an object with a string `schema`. */
export function tagOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, 'schema')) return undefined;
  const s = (value as { schema: unknown }).schema;
  return typeof s === 'string' ? s : undefined;
}

/**
 * `value` (the parsed content of `file`) checked against the schema its tag names; a tag
 * of the form sharpness/NAME@N this version does not know is checked as a result document
 * with any result. InputError naming the file and the first bad field otherwise.
 */
export function validateResultDocument(value: unknown, file: string, what: string): ResultDocument {
  const tag = tagOf(value);
  if (tag === undefined || parseSchemaTag(tag) === null) {
    throw new InputError(
      `${what}${file} is not a sharpness result document (its schema is ${JSON.stringify(tag ?? null)}, expected e.g. "sharpness/hessian@1"); write one with --out or --json`,
    );
  }
  const k = documentKind(tag);
  const result = Object.hasOwn(value as object, 'result') ? (value as { result: unknown }).result : undefined;
  if (!k && (typeof result !== 'object' || result === null)) {
    throw new InputError(`${what}${file} is not a sharpness result document (it has no result object)`);
  }
  return validateJson(k ? k.schema : anyResultDocumentSchema, value, file, what) as ResultDocument;
}
