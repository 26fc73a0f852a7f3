import { tf, type Tensor } from '../engine/tf.ts';
import type { ParamVector } from '../engine/paramVector.ts';

/**
 * What a parameter block is, read from its name and shape:
 * - `bn`: a BatchNormalization parameter (name contains gamma, beta, moving_mean or moving_variance);
 * - `bias`: any other block of rank <= 1 (biases, PReLU alphas...);
 * - `weight`: everything else (dense and conv kernels, embeddings).
 * As in Li et al.'s reference code, "bias and BN" means in practice "the 1-D blocks".
 */
export const BlockKind = {
  weight: 'weight',
  bias: 'bias',
  bn: 'bn',
} as const;
export type BlockKind = (typeof BlockKind)[keyof typeof BlockKind];
export const BLOCK_KINDS: readonly BlockKind[] = Object.values(BlockKind);
export function isBlockKind(x: unknown): x is BlockKind {
  return typeof x === 'string' && (BLOCK_KINDS as readonly string[]).includes(x);
}

/** Matched against the last path segment of a block's name ('.../gamma', '.../moving_mean'). */
const BN_NAME = /gamma|beta|moving/;

export function blockKind(name: string, shape: readonly number[]): BlockKind {
  const leaf = name.slice(name.lastIndexOf('/') + 1);
  if (BN_NAME.test(leaf)) return BlockKind.bn;
  if (shape.length <= 1) return BlockKind.bias;
  return BlockKind.weight;
}

/** The layer a block belongs to: its name up to the last '/' ('dense_Dense1/kernel' -> 'dense_Dense1'). */
export function layerOf(name: string): string {
  const i = name.lastIndexOf('/');
  return i < 0 ? name : name.slice(0, i);
}

export interface BlockGroup {
  /** The layer name (see layerOf). */
  layer: string;
  /** Indices of the layer's blocks in the parameter vector, in order. */
  blocks: number[];
  /** The kind of each of those blocks. */
  kinds: BlockKind[];
  /** Number of parameters in the layer. */
  size: number;
}

/** Parameter blocks grouped by layer, in order of first appearance. */
export function blockGroups(names: readonly string[], shapes: readonly (readonly number[])[]): BlockGroup[] {
  if (names.length !== shapes.length) {
    throw new Error(`blockGroups: ${names.length} names but ${shapes.length} shapes`);
  }
  const byLayer = new Map<string, BlockGroup>();
  names.forEach((name, i) => {
    const layer = layerOf(name);
    let g = byLayer.get(layer);
    if (!g) {
      g = { layer, blocks: [], kinds: [], size: 0 };
      byLayer.set(layer, g);
    }
    g.blocks.push(i);
    g.kinds.push(blockKind(name, shapes[i]!));
    g.size += shapes[i]!.reduce((a, b) => a * b, 1);
  });
  return [...byLayer.values()];
}

/** A copy of v with every block not listed in `blocks` set to zero (a direction within some layers). */
export function restrictToBlocks(v: ParamVector, blocks: readonly number[]): Tensor[] {
  const keep = new Set(blocks);
  for (const b of blocks) {
    if (!Number.isInteger(b) || b < 0 || b >= v.length) {
      throw new Error(`restrictToBlocks: block index ${b} is outside [0, ${v.length})`);
    }
  }
  return v.map((t, i) => (keep.has(i) ? t.clone() : tf.zerosLike(t)));
}
