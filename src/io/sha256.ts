/** SHA-256 helpers over bytes, strings and files (node:crypto). */
import { createHash, type Hash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

export type HashInput = Uint8Array | ArrayBuffer | ArrayBufferView | string;

/** A streaming SHA-256; feed it with `updateHash` and finish with `.digest('hex')`. */
export function createSha256(): Hash {
  return createHash('sha256');
}

/** Adds one chunk (bytes of any typed-array view, an ArrayBuffer, or a UTF-8 string) to `hash`. */
export function updateHash(hash: Hash, chunk: HashInput): Hash {
  if (typeof chunk === 'string') return hash.update(chunk, 'utf8');
  if (chunk instanceof ArrayBuffer) return hash.update(new Uint8Array(chunk));
  if (ArrayBuffer.isView(chunk)) return hash.update(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  return hash.update(chunk);
}

/** Hex SHA-256 of the concatenation of `chunks`. */
export function sha256Hex(...chunks: HashInput[]): string {
  const h = createSha256();
  for (const c of chunks) updateHash(h, c);
  return h.digest('hex');
}

/** Hex SHA-256 of a file's bytes. */
export async function sha256File(file: string): Promise<string> {
  return sha256Hex(await readFile(file));
}
