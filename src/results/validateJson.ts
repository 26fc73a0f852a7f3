/**
 * Checks a parsed JSON value against a document's schema (ajv, own properties only, so a
 * key such as `constructor` is never found on Object.prototype). The first bad field is
 * named by its path: "result.points[0].radius must be number, got "x"".
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { InputError } from '../errors.ts';
import type { Schema } from './schema.ts';

const ajv = new Ajv({ ownProperties: true, allErrors: false, strict: false, validateSchema: false });
const compiled = new WeakMap<object, ValidateFunction>();

function validatorOf(schema: Schema<unknown>): ValidateFunction {
  let v = compiled.get(schema.json);
  if (!v) {
    v = ajv.compile(schema.json);
    compiled.set(schema.json, v);
  }
  return v;
}

/** '/result/points/0/radius' -> 'result.points[0].radius'. */
export function jsonPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(key)) out += `[${key}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}

function show(x: unknown): string {
  if (x === undefined) return 'nothing';
  let s: string;
  if (Array.isArray(x)) s = 'a list';
  else if (typeof x === 'object' && x !== null) s = 'an object';
  else s = JSON.stringify(x) ?? String(x);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

function at(value: unknown, pointer: string): unknown {
  let v = value;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof v !== 'object' || v === null || !Object.hasOwn(v, key)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** "FIELD must be ..., got ..." for ajv's first error. */
export function describeError(e: ErrorObject, value: unknown): string {
  if (e.keyword === 'required') {
    const field = jsonPath(`${e.instancePath}/${String((e.params as { missingProperty: string }).missingProperty)}`);
    return `${field} is missing`;
  }
  const field = jsonPath(e.instancePath) || 'the document';
  const got = show(at(value, e.instancePath));
  switch (e.keyword) {
    case 'type':
      return `${field} must be ${String((e.params as { type: string | string[] }).type).replace(',', ' or ')}, got ${got}`;
    case 'const':
      return `${field} must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}, got ${got}`;
    case 'enum':
      return `${field} must be one of ${((e.params as { allowedValues: unknown[] }).allowedValues).map((x) => JSON.stringify(x)).join(', ')}, got ${got}`;
    default:
      return `${field} ${e.message ?? 'is not valid'}, got ${got}`;
  }
}

/** The first problem of `value` against `schema`; null when it is valid. */
export function firstProblem(schema: Schema<unknown>, value: unknown): string | null {
  const v = validatorOf(schema);
  if (v(value)) return null;
  const errors = v.errors ?? [];
  // anyOf reports its branches' errors first; the deepest one names the field best.
  const e = errors.reduce((a, b) => (b.instancePath.length > a.instancePath.length ? b : a), errors[0]!);
  return e ? describeError(e, value) : 'is not valid';
}

/** `value` as a `T`, or an InputError "WHAT FILE is not a valid KIND: FIELD must be ..., got ...; HINT" (`what` e.g. "check: "). */
export function validateJson<T>(schema: Schema<T>, value: unknown, file: string, what: string, kind = 'result document', hint?: string): T {
  const p = firstProblem(schema as Schema<unknown>, value);
  if (p !== null) throw new InputError(`${what}${file} is not a valid ${kind}: ${p}${hint ? `; ${hint}` : ''}`);
  return value as T;
}
