/**
 * Reading the result documents `check` compares: any JSON file with a sharpness schema tag
 * and a result object (a command's --out or --json output, or a golden).
 */
import * as fs from 'node:fs/promises';
import { InputError } from '../errors.ts';
import type { ResultDocument } from '../io/resultDocument.ts';
import { parseSchema } from './measures.ts';

/** Parses the text of a result document; `file` names it in messages. Throws InputError. */
export function parseResultDocument(text: string, file: string): ResultDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new InputError(`check: ${file} is not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new InputError(`check: ${file} is not a sharpness result document (expected a JSON object)`);
  }
  const d = doc as Record<string, unknown>;
  if (!parseSchema(d['schema'])) {
    throw new InputError(
      `check: ${file} is not a sharpness result document (its schema is ${JSON.stringify(d['schema'] ?? null)}, expected e.g. "sharpness/hessian@1"); write one with --out or --json`,
    );
  }
  if (typeof d['result'] !== 'object' || d['result'] === null) {
    throw new InputError(`check: ${file} is not a sharpness result document (it has no result object)`);
  }
  return d as unknown as ResultDocument;
}

/** Reads a result document from a file. Throws InputError for a missing, unreadable or malformed file. */
export async function readResultDocument(file: string): Promise<ResultDocument> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`check: ${file} does not exist`);
    if (code === 'EISDIR') throw new InputError(`check: ${file} is a directory, not a result file`);
    throw new InputError(`check: cannot read ${file} (${code ?? String(e)})`, { cause: e });
  }
  return parseResultDocument(text, file);
}
