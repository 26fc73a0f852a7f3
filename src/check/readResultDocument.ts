/**
 * Reading the result documents `check` compares: any JSON file with a sharpness schema tag
 * and a result object (a command's --out or --json output, or a golden), valid against the
 * schema of its tag.
 */
import * as fs from 'node:fs/promises';
import { InputError } from '../errors.ts';
import type { ResultDocument } from '../results/resultDocument.ts';
import { parseJsonText } from '../results/parseJsonText.ts';
import { validateResultDocument } from '../results/resultDocuments.ts';

/**
 * Parses the text of a result document and checks it against the schema of its tag (see
 * results/); `file` names it in messages. Throws InputError naming the first bad field.
 */
export function parseResultDocument(text: string, file: string): ResultDocument {
  return validateResultDocument(parseJsonText(text, file, 'check: '), file, 'check: ');
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
