/**
 * Options of a landscape, parsed and validated at the boundary: the grid (`--range`), the
 * shard (`--shard k/n`), and the resolved, serialisable LandscapeSpec that, with the
 * checkpoints and data it names, determines every value of a landscape.
 */
import { AUTO_BATCH_SIZE, type BatchSize } from '../objective/objectiveDefaults.ts';
import { UsageError } from '../errors.ts';
import { COUNT_LIMITS } from '../limits.ts';
import { validateSeed } from '../engine/rng.ts';
import { Norm, parseIgnore, validateNorm, type Ignore } from '../directions/normalizeDirection.ts';
import { isLandscapeBn, isLandscapeKind, LANDSCAPE_BN_MODES, LANDSCAPE_KINDS, LandscapeKind, type LandscapeBn } from './landscapeTypes.ts';

/** One axis of a `--range`: n evenly spaced values from `from` to `to` (both included). */
export interface AxisRange {
  from: number;
  to: number;
  n: number;
}

/**
 * A parsed `--range`: explicit axes (one, or two for planes), or `auto:n` (planes through
 * three checkpoints: a square box around them with a margin, n points per axis).
 */
export type RangeSpec = { auto: false; axes: AxisRange[] } | { auto: true; n: number };

export const LANDSCAPE_DEFAULTS = {
  /** Rays start at the solution: t from 0 to 1 (with filter-normalised directions, up to |w|). */
  raysRange: '0:1:21',
  lineRange: '-0.5:1.5:21',
  randomPlaneRange: '-1:1:21',
  planeRange: 'auto:21',
  /** The margin of `auto` around the checkpoints, as a fraction of their larger span. */
  autoMargin: 0.25,
  norm: Norm.filter,
  /** Seconds between progress saves. */
  saveInterval: 2,
} as const;

const MAX_AXIS_POINTS = 100_000;
const MAX_RAYS = 100_000;

function rangeError(kind: string, got: string, why: string): UsageError {
  const planes = kind === LandscapeKind.plane || kind === LandscapeKind.randomPlane;
  const form = planes
    ? `a:b:n or a:b:n,c:d:m (x then y)${kind === LandscapeKind.plane ? ', or auto[:n]' : ''}`
    : 'a:b:n';
  return new UsageError(`landscape: --range must be ${form} with numbers a < b and an integer n >= 2; ${why}, got ${got}`);
}

function parseAxis(kind: string, part: string, whole: string): AxisRange {
  const bits = part.split(':');
  if (bits.length !== 3) throw rangeError(kind, whole, `'${part}' does not have three parts`);
  const [a, b, c] = bits.map((s) => s.trim());
  const from = a === '' ? NaN : Number(a);
  const to = b === '' ? NaN : Number(b);
  const n = c === '' ? NaN : Number(c);
  if (!Number.isFinite(from) || !Number.isFinite(to)) throw rangeError(kind, whole, `'${part}' has a bound that is not a finite number`);
  if (!(from < to)) throw rangeError(kind, whole, `'${part}' does not have a < b`);
  if (!Number.isInteger(n) || n < 2 || n > MAX_AXIS_POINTS) {
    throw rangeError(kind, whole, `'${part}' has ${c} points (an integer in [2, ${MAX_AXIS_POINTS}] is needed)`);
  }
  return { from, to, n };
}

/** Parses `--range` for a landscape of `kind`; undefined gives the kind's default. */
export function parseRange(kind: LandscapeKind, value: string | undefined): RangeSpec {
  const text = (value ?? defaultRange(kind)).trim();
  const auto = /^auto(?::(.*))?$/.exec(text);
  if (auto) {
    if (kind !== LandscapeKind.plane) throw rangeError(kind, text, 'auto is only for --plane');
    const n = auto[1] === undefined ? 21 : Number(auto[1]);
    if (!Number.isInteger(n) || n < 2 || n > MAX_AXIS_POINTS) throw rangeError(kind, text, `auto needs an integer n in [2, ${MAX_AXIS_POINTS}]`);
    return { auto: true, n };
  }
  const parts = text.split(',');
  const planes = kind === LandscapeKind.plane || kind === LandscapeKind.randomPlane;
  if (parts.length > (planes ? 2 : 1)) throw rangeError(kind, text, `${parts.length} axes given`);
  const axes = parts.map((p) => parseAxis(kind, p, text));
  if (planes && axes.length === 1) axes.push({ ...axes[0]! });
  return { auto: false, axes };
}

export function defaultRange(kind: LandscapeKind): string {
  switch (kind) {
    case LandscapeKind.rays:
      return LANDSCAPE_DEFAULTS.raysRange;
    case LandscapeKind.line:
      return LANDSCAPE_DEFAULTS.lineRange;
    case LandscapeKind.plane:
      return LANDSCAPE_DEFAULTS.planeRange;
    case LandscapeKind.randomPlane:
      return LANDSCAPE_DEFAULTS.randomPlaneRange;
  }
}

/** The canonical text of a range ('-1:1:21,-1:1:21', 'auto:21'), as results record it. */
export function formatRange(r: RangeSpec): string {
  if (r.auto) return `auto:${r.n}`;
  return r.axes.map((a) => `${a.from}:${a.to}:${a.n}`).join(',');
}

/** n evenly spaced values from `from` to `to`, endpoints exact: (from (n-1-j) + to j) / (n-1). */
export function axisValues(a: AxisRange): number[] {
  const out: number[] = [];
  for (let j = 0; j < a.n; j++) out.push((a.from * (a.n - 1 - j) + a.to * j) / (a.n - 1));
  return out;
}

export { parseShard, shardIndices, type Shard } from '../parallel/shard.ts';

/**
 * Everything a landscape depends on besides the contents of its checkpoints and data:
 * serialisable, so any process (a worker, a shard) can rebuild the same landscape.
 */
export interface LandscapeSpec {
  kind: LandscapeKind;
  /** rays, random-plane: [center]; line: [A, B]; plane: [w1, w2, w3]. */
  checkpoints: string[];
  data: string;
  evalData?: string;
  /** --loss as given ('auto' or a loss). */
  loss: string;
  bn: LandscapeBn;
  l2: number;
  batchSize: BatchSize;
  /** rays: how many. */
  rays?: number;
  /** Canonical --range (see formatRange). */
  range: string;
  /** rays, random-plane only. */
  norm?: Norm;
  ignore?: Ignore[];
  seed: number;
}

/** What the command line gives, before resolution. */
export interface LandscapeRequest {
  checkpoint: string;
  rays?: number | undefined;
  to?: string | undefined;
  plane?: string | undefined;
  randomPlane?: boolean | undefined;
  range?: string | undefined;
  norm?: string | undefined;
  ignore?: string | undefined;
  data: string;
  evalData?: string | undefined;
  loss: string;
  bn: string;
  l2: number;
  batchSize: BatchSize;
  seed: number;
}

/**
 * Checks a request and resolves its defaults into a LandscapeSpec. Exactly one of --rays,
 * --to, --plane, --random-plane; --norm and --ignore only with random directions.
 */
export function resolveLandscapeSpec(r: LandscapeRequest): LandscapeSpec {
  const chosen: string[] = [];
  if (r.rays !== undefined) chosen.push('--rays');
  if (r.to !== undefined) chosen.push('--to');
  if (r.plane !== undefined) chosen.push('--plane');
  if (r.randomPlane) chosen.push('--random-plane');
  if (chosen.length !== 1) {
    throw new UsageError(
      chosen.length === 0
        ? 'landscape: choose what to draw: --rays N, --to CKPT2, --plane CKPT2,CKPT3 or --random-plane'
        : `landscape: ${chosen.join(' and ')} cannot be combined; choose one of --rays, --to, --plane, --random-plane`,
    );
  }
  const kind: LandscapeKind =
    r.rays !== undefined ? LandscapeKind.rays : r.to !== undefined ? LandscapeKind.line : r.plane !== undefined ? LandscapeKind.plane : LandscapeKind.randomPlane;
  if (!isLandscapeKind(kind)) throw new UsageError(`landscape: kind must be one of ${LANDSCAPE_KINDS.join(', ')}`);
  if (!isLandscapeBn(r.bn)) throw new UsageError(`landscape: --bn must be one of ${LANDSCAPE_BN_MODES.join(', ')}, got ${String(r.bn)}`);
  if (typeof r.l2 !== 'number' || !Number.isFinite(r.l2) || r.l2 < 0) {
    throw new UsageError(`landscape: --l2 must be a finite number >= 0, got ${String(r.l2)}`);
  }
  if (r.batchSize !== AUTO_BATCH_SIZE && (typeof r.batchSize !== 'number' || !Number.isInteger(r.batchSize) || r.batchSize < 1)) {
    throw new UsageError(`landscape: --batch-size must be an integer >= 1 or auto, got ${String(r.batchSize)}`);
  }
  validateSeed(r.seed, 'landscape');
  let checkpoints = [r.checkpoint];
  if (kind === LandscapeKind.line) {
    if (typeof r.to !== 'string' || r.to.trim() === '') throw new UsageError(`landscape: --to needs a checkpoint, got ${String(r.to)}`);
    checkpoints = [r.checkpoint, r.to];
  }
  if (kind === LandscapeKind.plane) {
    const parts = String(r.plane).split(',').map((s) => s.trim());
    if (parts.length < 2 || parts.length > 7 || parts.some((p) => p === '')) {
      throw new UsageError(
        `landscape: --plane must be two checkpoints CKPT2,CKPT3 (the plane through them and the first), optionally followed by up to 5 more to project onto it, got ${String(r.plane)}`,
      );
    }
    checkpoints = [r.checkpoint, ...parts];
  }
  const random = kind === LandscapeKind.rays || kind === LandscapeKind.randomPlane;
  if (!random && (r.norm !== undefined || r.ignore !== undefined)) {
    throw new UsageError(`landscape: --norm and --ignore apply to random directions (--rays, --random-plane), not to ${kind === LandscapeKind.line ? '--to' : '--plane'}`);
  }
  if (kind === LandscapeKind.rays && (typeof r.rays !== 'number' || !Number.isInteger(r.rays) || r.rays < 1 || r.rays > MAX_RAYS)) {
    throw new UsageError(`landscape: --rays must be an integer in [1, ${MAX_RAYS}], got ${String(r.rays)}`);
  }
  const parsedRange = parseRange(kind, r.range);
  // The whole grid (rays x points, or x points x y points) is bounded too, not only each axis.
  const points = parsedRange.auto ? parsedRange.n ** 2 : parsedRange.axes.reduce((a, x) => a * x.n, 1) * (kind === LandscapeKind.rays ? (r.rays as number) : 1);
  if (points > COUNT_LIMITS['grid-size']) {
    throw new UsageError(`landscape: --range ${formatRange(parsedRange)}${kind === LandscapeKind.rays ? ` with --rays ${String(r.rays)}` : ''} makes ${points} points; a landscape may have at most ${COUNT_LIMITS['grid-size']} points`);
  }
  const range = formatRange(parsedRange);
  const spec: LandscapeSpec = {
    kind,
    checkpoints,
    data: r.data,
    ...(r.evalData !== undefined ? { evalData: r.evalData } : {}),
    loss: r.loss,
    bn: r.bn,
    l2: r.l2,
    batchSize: r.batchSize,
    ...(kind === LandscapeKind.rays ? { rays: r.rays! } : {}),
    range,
    seed: r.seed,
  };
  if (random) {
    const norm = validateNorm(r.norm ?? LANDSCAPE_DEFAULTS.norm, 'landscape');
    // As in Li et al.'s examples (--xignore biasbn) and `volume`: filter / layer normalisation
    // would otherwise copy the 1-D blocks from w into every direction.
    spec.norm = norm;
    spec.ignore = parseIgnore(r.ignore ?? (norm === Norm.none ? 'none' : 'bias,bn'), 'landscape');
  }
  return spec;
}
