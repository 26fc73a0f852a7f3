/**
 * schemas/*.schema.json, the JSON Schemas the package ships, are exactly what
 * `npm run schemas` generates from src/results, are valid draft-07 schemas, and accept the
 * documents the CLI wrote (read from the files themselves, as a user's tool would).
 */
import test from 'ava';
import { Ajv } from 'ajv';
import { readdirSync, readFileSync } from 'node:fs';
import { jsonSchemaFiles } from '../../src/results/jsonSchemaFiles.ts';

const DIR = new URL('../../schemas/', import.meta.url);
const DOCS = new URL('./documents/', import.meta.url);

test('the committed schema files equal the generated ones (run `npm run schemas` after changing src/results)', (t) => {
  const generated = jsonSchemaFiles();
  const committed = readdirSync(DIR).filter((f) => f.endsWith('.schema.json')).sort();
  t.deepEqual(committed, [...generated.keys()].sort());
  for (const [name, text] of generated) t.is(readFileSync(new URL(name, DIR), 'utf8'), text, name);
});

test('the files are valid draft-07 schemas that accept what the CLI writes and refuse an edit', (t) => {
  const ajv = new Ajv({ strict: true, ownProperties: true });
  const byTag = new Map<string, (x: unknown) => boolean>();
  for (const f of readdirSync(DIR)) {
    const schema = JSON.parse(readFileSync(new URL(f, DIR), 'utf8')) as { title: string };
    t.true(ajv.validateSchema(schema) as boolean, f);
    byTag.set(schema.title.split(':')[0]!, ajv.compile(schema));
  }
  for (const f of readdirSync(DOCS)) {
    const doc = JSON.parse(readFileSync(new URL(f, DOCS), 'utf8')) as { schema: string; seed: unknown };
    const validate = byTag.get(doc.schema);
    t.truthy(validate, `${f}: a schema file for ${doc.schema}`);
    t.true(validate!(doc), f);
    t.false(validate!({ ...doc, seed: 'zero' }), `${f} with a string seed`);
  }
});
