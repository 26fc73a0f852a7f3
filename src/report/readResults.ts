/**
 * Reads result files for a report: parses and classifies each (errors name the file),
 * follows a `train` result to its training log, and reads the sidecar method of each
 * checkpoint still on disk (the default label). Reading only; nothing is recomputed.
 */
import path from 'node:path';
import { InputError } from '../errors.ts';
import { readSidecar } from '../io/sidecar.ts';
import { isWithin, realPathOf } from '../io/inputPaths.ts';
import { MAX_BYTES, pathKind, readInputTextSync } from '../io/safeRead.ts';
import { parseJsonText } from '../io/parseJsonText.ts';
import { documentKind, tagOf } from '../results/resultDocuments.ts';
import { validateJson } from '../results/validateJson.ts';
import { classifyDocument, type ClassifiedDocument, type SolutionRef } from './fromResults.ts';

export interface ReadResults {
  docs: ClassifiedDocument[];
  /** Every file read, training logs included, with its schema tag. */
  sources: { file: string; schema: string }[];
}

/** Parses a JSON file; InputError naming the file when it cannot be read or parsed. */
export async function readJsonFile(file: string, within?: string): Promise<unknown> {
  // A regular file (a FIFO cannot hang the report), bounded in size; inside `within` when given.
  const text = readInputTextSync(file, { what: 'report', maxBytes: MAX_BYTES.resultJson, ...(within === undefined ? {} : { within, withinName: `the directory of the result that names it (${within})` }) });
  return parseJsonText(text, file, 'report: ');
}

/**
 * Reads `file` and checks it against the schema of its tag when this version knows the tag
 * (results/); classifyDocument names what report cannot draw.
 */
async function readDocument(file: string, within?: string): Promise<unknown> {
  const value = await readJsonFile(file, within);
  const kind = documentKind(tagOf(value));
  if (kind) validateJson(kind.schema, value, file, 'report: ');
  return value;
}

/**
 * Where a training log named by a result lies: as recorded when that is inside the result's
 * directory (a result file is an input: the path it names must not lead us to read any file
 * on the machine), else beside the result file.
 */
async function locateLog(logPath: string, resultFile: string): Promise<string> {
  const dir = path.dirname(resultFile);
  const candidates = [logPath, path.join(dir, path.basename(logPath))];
  for (const candidate of candidates) {
    if (pathKind(candidate) === 'missing') continue; // try the next place
    if (isWithin(realPathOf(dir), realPathOf(candidate))) return candidate;
  }
  throw new InputError(
    `report: ${resultFile} names the training log ${logPath}, which is not in the result's directory ${dir} (or cannot be read); put the log beside the result or pass the log itself`,
  );
}

function schemaOf(value: unknown): string {
  return String(tagOf(value));
}

/** Reads and classifies `files` in order; a `train` result brings its training log (once). */
export async function readResultFiles(files: readonly string[]): Promise<ReadResults> {
  const docs: ClassifiedDocument[] = [];
  const sources: ReadResults['sources'] = [];
  const seen = new Set(files.map((f) => path.resolve(f)));
  for (const file of files) {
    const value = await readDocument(file);
    const doc = classifyDocument({ file, value });
    docs.push(doc);
    sources.push({ file, schema: schemaOf(value) });
    if (doc.kind === 'train' && doc.logPath !== null) {
      const log = await locateLog(doc.logPath, file);
      if (seen.has(path.resolve(log))) continue;
      seen.add(path.resolve(log));
      const logValue = await readDocument(log, path.dirname(file));
      docs.push(classifyDocument({ file: log, value: logValue }));
      sources.push({ file: log, schema: schemaOf(logValue) });
    }
  }
  return { docs, sources };
}

/** The sidecar method of each checkpoint whose directory is still there (undefined otherwise). */
export async function sidecarMethods(solutions: readonly SolutionRef[]): Promise<(string | undefined)[]> {
  return Promise.all(
    solutions.map(async (s) => {
      if (!s.checkpoint || s.path === null) return undefined;
      try {
        return (await readSidecar(s.path))?.method;
      } catch {
        return undefined; // a missing or unreadable sidecar only loses a default label
      }
    }),
  );
}
