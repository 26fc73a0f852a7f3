/**
 * The one source of every result document's shape: a small builder whose values are JSON
 * Schemas (draft-07, written to schemas/*.schema.json and used by the validator) and whose
 * phantom type parameter is the TypeScript type of a valid value (`Infer<typeof X>`), so a
 * document's type and its schema cannot disagree.
 *
 * Conventions of the documents:
 * - `float()` is a computed number; JSON writes NaN and Infinity as null, so the schema
 *   accepts null (the TypeScript type stays number, as the producer built it);
 * - objects accept properties they do not list (a later minor version may add some);
 * - `integer()` is a count or an index, `number()` a setting or a plain finite number.
 */

export type JsonSchema = Record<string, unknown>;

/** A JSON Schema with the type `T` of the values it accepts. */
export interface Schema<T> {
  readonly json: JsonSchema;
  /** A property the tool always writes but a file may lack (a golden holds only what it checks). */
  readonly written?: true;
  /** Never set: carries `T`. */
  readonly _type?: T;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

function make<T>(json: JsonSchema): Schema<T> {
  return { json };
}

/** A property the tool always writes (required in the type) that a valid file may omit (not in `required`). */
export function written<T>(s: Schema<T>): Schema<T> {
  return { json: s.json, written: true };
}

export function describe<T>(s: Schema<T>, description: string): Schema<T> {
  return make<T>({ description, ...s.json });
}

export const number = (): Schema<number> => make({ type: 'number' });
export const float = (): Schema<number> => make({ type: ['number', 'null'] });
export const integer = (minimum?: number): Schema<number> => make(minimum === undefined ? { type: 'integer' } : { type: 'integer', minimum });
export const string = (): Schema<string> => make({ type: 'string' });
export const boolean = (): Schema<boolean> => make({ type: 'boolean' });
/** Any JSON value (checked elsewhere, or free-form such as recorded options). */
export const anyJson = (): Schema<unknown> => make({});

export function literal<const C extends string | number | boolean>(value: C): Schema<C> {
  return make({ const: value });
}

export function oneOf<const C extends string>(values: readonly C[]): Schema<C> {
  return make({ type: 'string', enum: [...values] });
}

/** A sha256 hex digest. */
export const sha256 = (): Schema<string> => make({ type: 'string', pattern: '^[0-9a-f]{64}$' });

export function nullable<T>(s: Schema<T>): Schema<T | null> {
  const t = s.json['type'];
  if (Array.isArray(t) && t.includes('null') && Object.keys(s.json).length === 1) return make(s.json);
  if (typeof t === 'string' && Object.keys(s.json).length === 1) return make({ type: [t, 'null'] });
  return make({ anyOf: [s.json, { type: 'null' }] });
}

export function array<T>(items: Schema<T>, minItems?: number): Schema<T[]> {
  return make(minItems === undefined ? { type: 'array', items: items.json } : { type: 'array', items: items.json, minItems });
}

export function tuple<A, B>(a: Schema<A>, b: Schema<B>): Schema<[A, B]> {
  return make({ type: 'array', items: [a.json, b.json], minItems: 2, maxItems: 2 });
}

/** An object with string keys chosen by the producer (e.g. solutions by name). */
export function record<T>(values: Schema<T>): Schema<Record<string, T>> {
  return make({ type: 'object', additionalProperties: values.json });
}

export function union<A, B>(a: Schema<A>, b: Schema<B>): Schema<A | B> {
  return make({ anyOf: [a.json, b.json] });
}

type Shape = Record<string, Schema<unknown>>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
type Props<P extends Shape> = { [K in keyof P]: Infer<P[K]> };
type ObjectOf<R extends Shape, O extends Shape> = Simplify<Props<R> & Partial<Props<O>>>;

/** An object with the `required` properties, and the `optional` ones when present. */
export function object<R extends Shape, O extends Shape = {}>(required: R, optional?: O): Schema<ObjectOf<R, O>> {
  const properties: Record<string, JsonSchema> = {};
  for (const [k, s] of Object.entries(required)) properties[k] = s.json;
  for (const [k, s] of Object.entries(optional ?? {})) properties[k] = s.json;
  const names = Object.keys(required).filter((k) => required[k]!.written !== true);
  return make({ type: 'object', properties, ...(names.length > 0 ? { required: names } : {}) });
}

/** `base` with more properties (the JSON Schema of both, as one object schema). */
export function extend<B, R extends Shape, O extends Shape = {}>(base: Schema<B>, required: R, optional?: O): Schema<Simplify<B & ObjectOf<R, O>>> {
  const more = object(required, optional).json;
  const b = base.json;
  return make({
    type: 'object',
    properties: { ...(b['properties'] as object), ...(more['properties'] as object) },
    required: [...new Set([...((b['required'] as string[] | undefined) ?? []), ...((more['required'] as string[] | undefined) ?? [])])],
  });
}
