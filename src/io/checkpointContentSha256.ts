/**
 * A checkpoint's content hash without loading it: sha256 over the names and bytes of the
 * regular files of a checkpoint directory (model.json, weight files, sidecar), or of an
 * .onnx file. It changes whenever any of them does; unlike the checkpoint sha256 a result
 * records (topology and weights, io/checkpointSha256.ts), it needs no engine, so a rerun can
 * tell before any work whether a checkpoint was retrained in place.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../errors.ts';
import { MAX_BYTES, readInputFileSync } from './safeRead.ts';

/** At most this many files are hashed (a checkpoint directory holds a handful). */
const MAX_FILES = 10_000;

export function checkpointContentSha256(checkpoint: string, what: string): string {
  let st: fs.Stats;
  try {
    st = fs.statSync(checkpoint);
  } catch (e) {
    throw new InputError(`${what}: checkpoint ${checkpoint} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  // A directory, or a model.json standing for its directory: every regular file in it.
  // Any other file (an .onnx graph): that file.
  const whole = st.isDirectory() || path.basename(checkpoint) === 'model.json';
  const dir = st.isDirectory() ? checkpoint : path.dirname(checkpoint);
  const files = whole
    ? fs
        .readdirSync(dir, { withFileTypes: true })
        .filter((d) => d.isFile())
        .map((d) => d.name)
        .sort()
    : [path.basename(checkpoint)];
  if (files.length > MAX_FILES) throw new InputError(`${what}: checkpoint ${checkpoint} holds more than ${MAX_FILES} files; is it a checkpoint directory?`);
  const h = createHash('sha256');
  for (const name of files) {
    const bytes = readInputFileSync(path.join(dir, name), { what, within: dir, withinName: `the checkpoint directory ${dir}`, maxBytes: MAX_BYTES.dataFile });
    h.update(`${name}\0${bytes.length}\0`);
    h.update(bytes);
  }
  return h.digest('hex');
}
