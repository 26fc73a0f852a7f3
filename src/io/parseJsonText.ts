/**
 * JSON from a file a user hands us, bounded: at most MAX_JSON_DEPTH levels of arrays and
 * objects (deeper text would overflow the stack of every recursive walker that reads it
 * later: fingerprints, comparisons, validation), and JSON.parse's own errors as InputError
 * naming the file.
 */
import { InputError } from '../errors.ts';

/** Result documents nest about ten levels; recorded options and identities a few more. */
export const MAX_JSON_DEPTH = 64;

/** The deepest nesting of `text` (brackets outside strings); stops counting past `limit`. */
export function jsonDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 93 || c === 125) depth--;
  }
  return max;
}

/**
 * Parses `text`, the content of `file`; `what` starts the messages ("check: ", "merge: ").
 * Throws InputError for text that is not JSON or nests deeper than MAX_JSON_DEPTH.
 */
export function parseJsonText(text: string, file: string, what: string): unknown {
  if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw new InputError(`${what}${file} nests JSON more than ${MAX_JSON_DEPTH} levels deep; it is not a file sharpness wrote`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new InputError(`${what}${file} is not valid JSON (${(e as Error).message.split('\n')[0]})`, { cause: e });
  }
}
