/**
 * Data specs, the strings users pass to --data / --eval-data:
 *   mnist:train|test[:N]          the first N samples of an MNIST split
 *   fashion-mnist:train|test[:N]  likewise for Fashion-MNIST
 *   npy:X.npy,Y.npy               features and targets from two .npy files
 *   synthetic:NAME[:N][:seed=S]   generated sets: blobs, linreg
 */
import { InputError } from '../errors.ts';

export const Split = { train: 'train', test: 'test' } as const;
export type Split = (typeof Split)[keyof typeof Split];
export function isSplit(x: unknown): x is Split {
  return x === 'train' || x === 'test';
}

export const SyntheticName = { blobs: 'blobs', linreg: 'linreg' } as const;
export type SyntheticName = (typeof SyntheticName)[keyof typeof SyntheticName];
export function isSyntheticName(x: unknown): x is SyntheticName {
  return x === 'blobs' || x === 'linreg';
}

export type DataSpec =
  | { kind: 'mnist'; split: Split; n?: number }
  | { kind: 'fashion-mnist'; split: Split; n?: number }
  | { kind: 'npy'; x: string; y: string }
  | { kind: 'synthetic'; name: SyntheticName; n?: number; seed?: number };

export const DATA_SPEC_FORMS =
  'mnist:train|test[:N], fashion-mnist:train|test[:N], npy:X.npy,Y.npy, synthetic:blobs|linreg[:N][:seed=S]';

function unknown(spec: string, why?: string): never {
  const shown = spec.length > 80 ? `${spec.slice(0, 77)}...` : spec;
  throw new InputError(`data: unknown data spec '${shown}'${why ? ` (${why})` : ''}; valid forms: ${DATA_SPEC_FORMS}`);
}

/** Parses a sample count N: a decimal integer >= 1. */
export function parseCount(text: string, spec: string): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < 1) {
    throw new InputError(`data: ${spec} has sample count '${text}'; N must be an integer >= 1`);
  }
  return Number(text);
}

/** Parses a seed: an integer in [0, 2^32 - 1]. */
export function parseSeed(text: string, spec: string): number {
  const v = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(v) || v > 0xffffffff) {
    throw new InputError(`data: ${spec} has seed '${text}'; the seed must be an integer in [0, 4294967295]`);
  }
  return v;
}

export function parseDataSpec(spec: string): DataSpec {
  if (typeof spec !== 'string' || spec.trim() === '') unknown(String(spec), 'empty');
  const s = spec.trim();
  const colon = s.indexOf(':');
  const kind = colon < 0 ? s : s.slice(0, colon);
  const rest = colon < 0 ? '' : s.slice(colon + 1);
  switch (kind) {
    case 'mnist':
    case 'fashion-mnist': {
      const parts = rest.split(':');
      if (rest === '' || parts.length > 2 || !isSplit(parts[0])) unknown(s, `${kind} needs :train or :test`);
      const split = parts[0] as Split;
      return parts.length === 2 ? { kind, split, n: parseCount(parts[1]!, s) } : { kind, split };
    }
    case 'npy': {
      const files = rest.split(',');
      if (files.length !== 2 || files.some((f) => f.trim() === '')) unknown(s, 'npy needs two files: npy:X.npy,Y.npy');
      return { kind: 'npy', x: files[0]!.trim(), y: files[1]!.trim() };
    }
    case 'synthetic': {
      const parts = rest.split(':');
      if (rest === '' || !isSyntheticName(parts[0])) unknown(s, 'synthetic sets: blobs, linreg');
      const out: { kind: 'synthetic'; name: SyntheticName; n?: number; seed?: number } = {
        kind: 'synthetic',
        name: parts[0] as SyntheticName,
      };
      let i = 1;
      if (i < parts.length && !parts[i]!.startsWith('seed=')) out.n = parseCount(parts[i++]!, s);
      if (i < parts.length && parts[i]!.startsWith('seed=')) out.seed = parseSeed(parts[i++]!.slice(5), s);
      if (i < parts.length) unknown(s, `unexpected '${parts[i]}'`);
      return out;
    }
    default:
      return unknown(s);
  }
}

/** The canonical text of a spec (what results record). */
export function formatDataSpec(d: DataSpec): string {
  switch (d.kind) {
    case 'mnist':
    case 'fashion-mnist':
      return `${d.kind}:${d.split}${d.n !== undefined ? `:${d.n}` : ''}`;
    case 'npy':
      return `npy:${d.x},${d.y}`;
    case 'synthetic':
      return `synthetic:${d.name}${d.n !== undefined ? `:${d.n}` : ''}${d.seed !== undefined ? `:seed=${d.seed}` : ''}`;
  }
}
