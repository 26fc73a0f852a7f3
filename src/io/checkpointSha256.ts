import { canonicalJson } from './canonicalJson.ts';
import { createSha256, updateHash } from './sha256.ts';

/**
 * The identity of a checkpoint: SHA-256 over the canonical JSON of its modelTopology
 * (keys sorted, no whitespace), a newline, then the weight bytes in manifest order (all
 * groups, as stored). It does not depend on how the weights are sharded into files, on
 * model.json formatting, or on the sidecar.
 */
export function checkpointSha256(modelTopology: unknown, weightBytes: Iterable<Uint8Array | ArrayBuffer>): string {
  const h = createSha256();
  updateHash(h, canonicalJson(modelTopology));
  updateHash(h, '\n');
  for (const b of weightBytes) updateHash(h, b);
  return h.digest('hex');
}
