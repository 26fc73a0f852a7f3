/**
 * The known minima shipped in fixtures/known-minima/ (written by
 * scripts/make-known-minima.ts): checkpoints with their data and golden result documents
 * whose values are closed forms. `manifest.json` lists them; paths in it are relative to
 * the fixtures directory.
 */
import { MAX_BYTES, readInputTextSync } from '../io/safeRead.ts';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../errors.ts';

/** Where the package keeps its known minima. */
export const KNOWN_MINIMA_DIR: string = fileURLToPath(new URL('../../fixtures/known-minima/', import.meta.url));

export const KNOWN_MINIMA_SCHEMA = 'sharpness/known-minima@1';
export const RELATION_SCHEMA = 'sharpness/known-minima-relation@1';

export interface KnownMinimum {
  name: string;
  description: string;
  /** The checkpoint directory, relative to the fixtures directory. */
  checkpoint: string;
  /** A data spec whose paths are relative to the fixtures directory. */
  data: string;
  loss: string;
  l2: number;
  parameters: number;
  /** Golden result documents, relative to the fixtures directory. */
  goldens: string[];
  /** Relations with other minima (e.g. a rescaled twin), relative to the fixtures directory. */
  relations?: string[];
}

export interface KnownMinimaManifest {
  schema: typeof KNOWN_MINIMA_SCHEMA;
  generator: string;
  seed: number;
  minima: KnownMinimum[];
}

/** The `golden` block of a golden document: how it was computed and how closely it must match. */
export interface GoldenInfo {
  minimum: string;
  method: string;
  tolerances: { rtol: number; atol: number; sigma: number };
  notes?: string[];
}

/** A rescaling relation between a minimum and its twin (see scripts/make-known-minima.ts). */
export interface RescalingRelation {
  schema: typeof RELATION_SCHEMA;
  relation: 'rescaling';
  description: string;
  base: string;
  twin: string;
  a: number;
  ball: { radius: string; norm: 'l2' | 'linf'; steps: number; restarts: number; samples: number };
  expect: {
    loss: { equal: true; rtol: number };
    adaptive: { equal: true; rtol: number; atol: number; sigma: number };
    plain: { differ: true; minRelativeDifference: number; measure: 'sharpness' | 'maxLoss' };
  };
}

async function readJson(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = readInputTextSync(file, { what: 'selftest', maxBytes: MAX_BYTES.resultJson });
  } catch (e) {
    throw new InputError(`selftest: cannot read ${what} ${file} (${(e as Error).message}); is the package installed completely?`, { cause: e });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(`selftest: ${what} ${file} is not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
}

/** Reads and checks `manifest.json` of a known-minima directory (default: the package's own). */
export async function loadKnownMinima(dir: string = KNOWN_MINIMA_DIR): Promise<KnownMinimaManifest> {
  const file = path.join(dir, 'manifest.json');
  const m = (await readJson(file, 'the known-minima manifest')) as Partial<KnownMinimaManifest> | null;
  if (!m || m.schema !== KNOWN_MINIMA_SCHEMA || !Array.isArray(m.minima)) {
    throw new InputError(`selftest: ${file} is not a known-minima manifest (schema ${KNOWN_MINIMA_SCHEMA} with a list of minima)`);
  }
  for (const k of m.minima) {
    if (!k || typeof k.name !== 'string' || typeof k.checkpoint !== 'string' || typeof k.data !== 'string' || !Array.isArray(k.goldens)) {
      throw new InputError(`selftest: ${file} has a malformed entry ${JSON.stringify(k)?.slice(0, 80)}`);
    }
  }
  return m as KnownMinimaManifest;
}

/** Reads a relation file of a known-minima directory. */
export async function loadRelation(dir: string, file: string): Promise<RescalingRelation> {
  const r = (await readJson(path.join(dir, file), 'the relation')) as Partial<RescalingRelation> | null;
  if (!r || r.schema !== RELATION_SCHEMA || r.relation !== 'rescaling' || !r.expect || !r.ball) {
    throw new InputError(`selftest: ${path.join(dir, file)} is not a rescaling relation (schema ${RELATION_SCHEMA})`);
  }
  return r as RescalingRelation;
}
