/**
 * Every result document sharpness writes validates against the schema of its tag: documents
 * written by the CLI (test/results/documents/, from `sharpness ball|volume|hessian|evaluate|
 * landscape` on the linear-regression minimum, shards included), the goldens of the known
 * minima, and the report's sample documents. Edited documents are refused naming the file
 * and the first bad field.
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { InputError } from '../../src/errors.ts';
import { MAX_JSON_DEPTH, jsonDepth, parseJsonText } from '../../src/io/parseJsonText.ts';
import { DOCUMENT_KINDS, documentKind, tagOf, validateResultDocument } from '../../src/results/resultDocuments.ts';
import { jsonPath, validateJson } from '../../src/results/validateJson.ts';
import * as samples from '../report/sampleDocuments.ts';

const DOCS = new URL('./documents/', import.meta.url);
const KM = new URL('../../fixtures/known-minima/', import.meta.url);
const read = (u: URL) => JSON.parse(readFileSync(u, 'utf8')) as Record<string, unknown>;
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

function files(): { name: string; value: unknown }[] {
  const out: { name: string; value: unknown }[] = readdirSync(DOCS).map((f) => ({ name: f, value: read(new URL(f, DOCS)) }));
  for (const d of readdirSync(KM, { withFileTypes: true })) {
    if (!d.isDirectory()) continue;
    for (const f of readdirSync(new URL(`${d.name}/golden/`, KM))) {
      const value: Record<string, unknown> = read(new URL(`${d.name}/golden/${f}`, KM));
      if (String(value['schema']).startsWith('sharpness/known-minima')) continue; // a relation between minima, not a result
      out.push({ name: `${d.name}/golden/${f}`, value });
    }
  }
  for (const { name, doc } of samples.allDocuments()) out.push({ name: `sample ${name}`, value: doc });
  out.push({ name: 'sample train', value: samples.trainDocument('SGD', 'runs/sgd/train-log.json') });
  return out;
}

test('every written document, golden and sample validates against the schema its tag names', (t) => {
  const seen = new Set<string>();
  for (const { name, value } of files()) {
    const kind = documentKind(tagOf(value));
    t.truthy(kind, `${name}: a known tag (${String(tagOf(value))})`);
    t.notThrows(() => validateJson(kind!.schema, value, name, ''), name);
    seen.add(kind!.tag);
  }
  for (const tag of ['sharpness/ball@1', 'sharpness/volume@1', 'sharpness/hessian@1', 'sharpness/evaluate@1', 'sharpness/landscape@1', 'sharpness/train@1', 'sharpness/train-log@1', 'sharpness/ball-shard@1', 'sharpness/hessian-shard@1', 'sharpness/volume-shard@1', 'sharpness/landscape-shard@1']) {
    t.true(seen.has(tag), `${tag} is among the validated documents`);
  }
});

test('every document kind has its own tag and file name', (t) => {
  t.is(new Set(DOCUMENT_KINDS.map((k) => k.tag)).size, DOCUMENT_KINDS.length);
  t.is(new Set(DOCUMENT_KINDS.map((k) => k.name)).size, DOCUMENT_KINDS.length);
  t.is(documentKind('constructor'), undefined);
  t.is(documentKind('toString'), undefined);
});

test('a hand-edited result is an InputError naming the file and the first bad field', (t) => {
  const ball = read(new URL('ball.json', DOCS));
  const cases: [(d: any) => void, RegExp][] = [
    [(d) => (d.checkpoint.sha256 = 5), /^check: b\.json is not a valid result document: checkpoint\.sha256 must be string, got 5$/],
    [(d) => (d.result.points[1].radius = 'x'), /result\.points\[1\]\.radius must be number, got "x"$/],
    [(d) => delete d.result.points, /result\.points is missing$/],
    [(d) => (d.result.norm = 'l3'), /result\.norm must be one of "l2", "linf", "box", got "l3"$/],
    [(d) => (d.engine = []), /engine must be object, got a list$/],
    [(d) => (d.tool.name = 'other'), /tool\.name must be "sharpness", got "other"$/],
  ];
  for (const [edit, message] of cases) {
    const d = clone(ball);
    edit(d);
    t.throws(() => validateResultDocument(d, 'b.json', 'check: '), { instanceOf: InputError, message });
  }
  t.notThrows(() => validateResultDocument(clone(ball), 'b.json', 'check: '));
  t.throws(() => validateResultDocument({ schema: 5 }, 'n.json', 'check: '), { instanceOf: InputError, message: /n\.json is not a sharpness result document/ });
  t.throws(() => validateResultDocument([], 'n.json', 'check: '), { instanceOf: InputError });
});

test('own properties only: a required field is never found on Object.prototype', (t) => {
  // "constructor" and "toString" exist on every object's prototype; a document lacking a field
  // of that name must still be refused (ajv's ownProperties), and a shard tag naming one is unknown.
  const d = clone(read(new URL('ball.json', DOCS)));
  delete (d['result'] as Record<string, unknown>)['points'];
  const withProto = Object.assign(Object.create({ points: [] }) as object, d);
  t.throws(() => validateResultDocument(withProto, 'p.json', ''), { message: /result\.points is missing|p\.json/ });
  t.is(documentKind(tagOf({ schema: 'sharpness/constructor-shard@1' })), undefined);
});

test('JSON nested deeper than the limit is an InputError, not a stack overflow later', (t) => {
  const deep = '['.repeat(100_000) + ']'.repeat(100_000);
  t.is(jsonDepth(deep, MAX_JSON_DEPTH), MAX_JSON_DEPTH + 1);
  t.throws(() => parseJsonText(deep, 'deep.json', 'merge: '), { instanceOf: InputError, message: `merge: deep.json nests JSON more than ${MAX_JSON_DEPTH} levels deep; it is not a file sharpness wrote` });
  t.is(jsonDepth('{"a": "[[[[[", "b": [{"c": "\\"]"}]}'), 3, 'brackets in strings and escaped quotes do not count');
  t.deepEqual(parseJsonText('{"a": [1]}', 'ok.json', ''), { a: [1] });
  t.throws(() => parseJsonText('{', 'bad.json', 'check: '), { instanceOf: InputError, message: /^check: bad\.json is not valid JSON/ });
});

test('JSON pointers become the paths users read', (t) => {
  t.is(jsonPath('/result/points/0/radius'), 'result.points[0].radius');
  t.is(jsonPath('/result/perLayer/2/a b'), 'result.perLayer[2]["a b"]');
  t.is(jsonPath(''), '');
});
