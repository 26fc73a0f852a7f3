/**
 * What identifies a landscape: the hashes of its checkpoints and data, its resolved
 * options and seed, the tool version and the engine. Two runs with the same identity
 * compute the same value at every item, so their partial results (a progress file, shards)
 * can be combined; anything else is refused, naming the first difference.
 */
import { canonicalJson } from '../io/canonicalJson.ts';
import { sha256Hex } from '../io/sha256.ts';
import type { LandscapeSpec } from './landscapeOptions.ts';

export interface LandscapeIdentity {
  version: string;
  /** The spec without paths (the hashes below stand for the files). */
  spec: Omit<LandscapeSpec, 'checkpoints' | 'data' | 'evalData'>;
  /** sha256 of each checkpoint, in spec order. */
  checkpoints: string[];
  data: { sha256: string; samples: number };
  evalData?: { sha256: string; samples: number };
  /** The resolved loss. */
  loss: string;
  /** Backends differ in the last bits of every value. */
  engine: { backend: string; tfjsVersion: string };
}

export interface IdentityInputs {
  version: string;
  spec: LandscapeSpec;
  checkpointSha256: readonly string[];
  data: { sha256: string; n: number };
  evalData?: { sha256: string; n: number } | null;
  loss: string;
  engine: { backend: string; tfjsVersion: string };
}

export function landscapeIdentity(x: IdentityInputs): LandscapeIdentity {
  const { checkpoints: _c, data: _d, evalData: _e, ...spec } = x.spec;
  const id: LandscapeIdentity = {
    version: x.version,
    spec,
    checkpoints: [...x.checkpointSha256],
    data: { sha256: x.data.sha256, samples: x.data.n },
    loss: x.loss,
    engine: { backend: x.engine.backend, tfjsVersion: x.engine.tfjsVersion },
  };
  if (x.evalData) id.evalData = { sha256: x.evalData.sha256, samples: x.evalData.n };
  return id;
}

/** sha256 of the identity's canonical JSON. */
export function landscapeFingerprint(id: LandscapeIdentity): string {
  return sha256Hex(canonicalJson(id));
}

export { firstDifference } from '../io/canonicalJson.ts';
