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

function show(v: unknown): string {
  const s = v === undefined ? '(none)' : canonicalJson(v);
  return s.length > 70 ? `${s.slice(0, 67)}...` : s;
}

/**
 * The first difference between two JSON values as 'path: a vs b' ('spec.seed: 0 vs 1',
 * 'checkpoints[1]: "ab12..." vs "cd34..."'); null when they are equal.
 */
export function firstDifference(a: unknown, b: unknown, path = ''): string | null {
  if (canonicalJson(a) === canonicalJson(b)) return null;
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path || '(value)'}: ${a.length} entries vs ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
  } else if (isObj(a) && isObj(b) && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) {
      const d = firstDifference(a[k], b[k], path ? `${path}.${k}` : k);
      if (d) return d;
    }
  }
  return `${path || '(value)'}: ${show(a)} vs ${show(b)}`;
}
