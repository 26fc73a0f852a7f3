/**
 * The JSON Schema files shipped in schemas/ (one per document kind), generated from the
 * schemas of results/ by `npm run schemas`; a test keeps the committed files equal to these.
 */
import { DOCUMENT_KINDS } from './resultDocuments.ts';

export const JSON_SCHEMA_DIALECT = 'http://json-schema.org/draft-07/schema#';

/** File name -> text, in DOCUMENT_KINDS order. */
export function jsonSchemaFiles(): Map<string, string> {
  const out = new Map<string, string>();
  for (const k of DOCUMENT_KINDS) {
    const doc = { $schema: JSON_SCHEMA_DIALECT, $id: `${k.name}.schema.json`, title: `${k.tag}: ${k.title}`, ...k.schema.json };
    out.set(`${k.name}.schema.json`, `${JSON.stringify(doc, null, 2)}\n`);
  }
  return out;
}
