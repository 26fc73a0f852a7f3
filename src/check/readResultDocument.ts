/**
 * Reading the result documents `check` compares: any JSON file with a sharpness schema tag
 * and a result object (a command's --out or --json output, or a golden), valid against the
 * schema of its tag.
 */
import type { ResultDocument } from '../results/resultDocument.ts';
import { MAX_BYTES, readInputTextSync } from '../io/safeRead.ts';
import { parseJsonText } from '../io/parseJsonText.ts';
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
  // A regular file (a FIFO cannot hang the check), bounded in size; errors name the file.
  const text = readInputTextSync(file, { what: 'check', maxBytes: MAX_BYTES.resultJson });
  return parseResultDocument(text, file);
}
