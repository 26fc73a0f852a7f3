/**
 * The comparison behind `sharpness check` and `sharpness selftest`: every measure of a
 * baseline result document (see measures.ts) against the same measure of a new result.
 *
 * - deterministic measures (eigenvalues, losses, accuracies, ball maxima, ...):
 *     |now - baseline| <= atol + rtol |baseline|
 * - stochastic measures (trace, average-case ball losses, log-volumes), each with its
 *   standard error (0 for an exact golden value):
 *     |now - baseline| <= max(sigma sqrt(se_now^2 + se_baseline^2), atol + rtol |baseline|)
 *   A log-volume's standard error is its confidence interval's half-width divided by the
 *   normal quantile of its level (1.96 for 95%), so a golden log-volume (an interval of
 *   zero width) passes when it lies within sigma / 1.96 half-widths of the estimate.
 *
 * A value that is not finite (NaN is written as null in JSON) is never close. A measure of
 * the baseline that the result lacks is 'missing', which fails the check unless
 * `allowMissing`; measures only the result has are ignored (the baseline says what is
 * checked), and a baseline with no measures at all is an InputError (a check of 0 of 0
 * measures would pass while guarding nothing). Different schemas are a usage error; so are different checkpoints (by sha256)
 * unless `allowDifferentCheckpoint`. Other differences of setting (data, loss, l2, BN mode,
 * seed, backend) are reported as notes: they explain a drift, they are not one.
 */
import { InputError, UsageError } from '../errors.ts';
import type { ResultDocument } from '../results/resultDocument.ts';
import { extractMeasures, MeasureKind, parseSchema, type Measure } from './measures.ts';

export interface CheckOptions {
  /** Relative tolerance, >= 0 (default 1e-4). */
  rtol?: number;
  /** Absolute tolerance, >= 0 (default 1e-6). */
  atol?: number;
  /** Standard errors allowed for stochastic measures, > 0 (default 3). */
  sigma?: number;
  /** Compare results of different checkpoints (default false: a usage error). */
  allowDifferentCheckpoint?: boolean;
  /** Baseline measures the result lacks do not fail the check (default false). */
  allowMissing?: boolean;
  /** How messages name the two documents (default 'the result', 'the baseline'). */
  labels?: { result?: string; baseline?: string };
}

export const CHECK_DEFAULTS = { rtol: 1e-4, atol: 1e-6, sigma: 3 } as const;

/** The engine.backend of a golden document, whose values are closed forms. */
export const CLOSED_FORM = 'closed-form';

export const Verdict = {
  ok: 'ok',
  drift: 'drift',
  missing: 'missing',
} as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];
export const VERDICTS: readonly Verdict[] = Object.values(Verdict);

export interface CheckRow {
  /** The measure's name, e.g. 'hessian.eigenvalues[0]' (see measures.ts). */
  measure: string;
  kind: MeasureKind;
  /** null when the baseline holds null (a non-finite value). */
  baseline: number | null;
  /** null when missing from the result, or not finite there. */
  now: number | null;
  /** Stochastic measures: the standard errors. */
  baselineStderr?: number;
  nowStderr?: number;
  /** now - baseline; null when either is missing or not finite. */
  difference: number | null;
  /** The largest |difference| that passes. */
  allowed: number;
  /** Stochastic measures: whether sigma standard errors (rather than rtol/atol) set `allowed`. */
  bySigma?: boolean;
  verdict: Verdict;
}

export interface CheckReport {
  /** No drift, and nothing missing (unless allowMissing). */
  ok: boolean;
  schema: string;
  command: string;
  tolerances: { rtol: number; atol: number; sigma: number };
  counts: Record<Verdict, number>;
  rows: CheckRow[];
  /** Names of the measures that drifted, and of those missing from the result. */
  drifted: string[];
  missing: string[];
  /** Differences of setting that may explain a drift, and warnings about the result. */
  notes: string[];
  checkpoint: { baseline: string | null; now: string | null; same: boolean | null };
}

type Doc = Pick<ResultDocument, 'schema' | 'result'> & Partial<ResultDocument>;

function checkTolerance(name: string, v: unknown, positive: boolean): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || (positive ? !(v > 0) : v < 0)) {
    throw new UsageError(`check: --${name} must be a finite number ${positive ? '> 0' : '>= 0'}, got ${String(v)}`);
  }
  return v;
}

/** Fills the defaults and checks the tolerances (UsageError naming the option). */
export function resolveCheckOptions(opts: CheckOptions = {}): { rtol: number; atol: number; sigma: number } {
  return {
    rtol: checkTolerance('rtol', opts.rtol ?? CHECK_DEFAULTS.rtol, false),
    atol: checkTolerance('atol', opts.atol ?? CHECK_DEFAULTS.atol, false),
    sigma: checkTolerance('sigma', opts.sigma ?? CHECK_DEFAULTS.sigma, true),
  };
}

function short(sha: string): string {
  return sha.slice(0, 12);
}

/** The sha256 of each checkpoint a document measured (one, or several for evaluate). */
function checkpointShas(doc: Doc): string[] | null {
  if (doc.checkpoint && typeof doc.checkpoint.sha256 === 'string') return [doc.checkpoint.sha256];
  if (Array.isArray(doc.checkpoints)) return doc.checkpoints.map((c) => String(c?.sha256));
  return null;
}

function checkpointPaths(doc: Doc): string {
  if (doc.checkpoint) return String(doc.checkpoint.path);
  if (Array.isArray(doc.checkpoints)) return doc.checkpoints.map((c) => String(c?.path)).join(', ');
  return '(none)';
}

function settingNotes(result: Doc, baseline: Doc, notes: string[]): void {
  const differ = (what: string, b: unknown, n: unknown): void => {
    if (b !== undefined && n !== undefined && JSON.stringify(b) !== JSON.stringify(n)) {
      notes.push(`${what} differs: baseline ${JSON.stringify(b)}, now ${JSON.stringify(n)}`);
    }
  };
  if (baseline.data?.sha256 && result.data?.sha256 && baseline.data.sha256 !== result.data.sha256) {
    notes.push(`data differs: baseline ${baseline.data.spec} (sha256 ${short(baseline.data.sha256)}), now ${result.data.spec} (sha256 ${short(result.data.sha256)})`);
  }
  differ('loss', baseline.loss, result.loss);
  differ('l2', baseline.l2, result.l2);
  differ('bn', baseline.bn, result.bn);
  differ('seed', baseline.seed, result.seed);
  // A golden's engine is 'closed-form': not a backend, so no note.
  if (baseline.engine && result.engine && baseline.engine.backend !== CLOSED_FORM && baseline.engine.backend !== result.engine.backend) {
    notes.push(`backend differs: baseline ${baseline.engine.backend}, now ${result.engine.backend}`);
  }
}

function resultWarnings(result: Doc, notes: string[]): void {
  const r = result.result as Record<string, unknown> | null;
  if (!r || typeof r !== 'object') return;
  if (r['converged'] === false) notes.push('the result says its eigenvalues did not converge (converged: false)');
  if (r['lowerBound'] === true) notes.push('the result\'s log-volume is a lower bound: some radii were censored at --max-radius');
}

function compareOne(b: Measure, n: Measure | undefined, tol: { rtol: number; atol: number; sigma: number }): CheckRow {
  const base = b.value !== null && Number.isFinite(b.value) ? b.value : null;
  const floor = tol.atol + tol.rtol * Math.abs(base ?? 0);
  const row: CheckRow = { measure: b.name, kind: b.kind, baseline: b.value, now: null, difference: null, allowed: floor, verdict: Verdict.missing };
  if (b.kind === MeasureKind.stochastic) row.baselineStderr = b.stderr ?? 0;
  if (!n) return row;
  const now = n.value !== null && Number.isFinite(n.value) ? n.value : null;
  row.now = now;
  let allowed = floor;
  if (b.kind === MeasureKind.stochastic || n.kind === MeasureKind.stochastic) {
    const seN = n.stderr ?? 0;
    row.nowStderr = seN;
    row.baselineStderr = b.stderr ?? 0;
    const bySigma = tol.sigma * Math.sqrt(seN * seN + (b.stderr ?? 0) ** 2);
    row.bySigma = bySigma > floor;
    allowed = Math.max(bySigma, floor);
    row.kind = MeasureKind.stochastic;
  }
  row.allowed = allowed;
  if (base === null || now === null) {
    row.verdict = Verdict.drift; // NaN / Infinity is never close
    return row;
  }
  row.difference = now - base;
  row.verdict = Math.abs(now - base) <= allowed ? Verdict.ok : Verdict.drift;
  return row;
}

/**
 * Compares every measure of `baseline` with the same measure of `result` (see the module
 * comment). Throws UsageError for bad tolerances, documents that cannot be compared
 * (different or unsupported schemas) and different checkpoints (unless allowed).
 */
export function compareResults(result: Doc, baseline: Doc, opts: CheckOptions = {}): CheckReport {
  const tol = resolveCheckOptions(opts);
  const nameR = opts.labels?.result ?? 'the result';
  const nameB = opts.labels?.baseline ?? 'the baseline';
  const sr = parseSchema(result?.schema);
  const sb = parseSchema(baseline?.schema);
  if (!sb) throw new UsageError(`check: ${nameB} has no sharpness schema tag (got ${JSON.stringify(baseline?.schema)})`);
  if (!sr) throw new UsageError(`check: ${nameR} has no sharpness schema tag (got ${JSON.stringify(result?.schema)})`);
  if (result.schema !== baseline.schema) {
    throw new UsageError(
      `check: ${nameR} is a ${sr.command} result (${result.schema}) but ${nameB} is a ${sb.command} result (${baseline.schema}); compare results of the same command`,
    );
  }
  const notes: string[] = [];
  const shaB = checkpointShas(baseline);
  const shaR = checkpointShas(result);
  let same: boolean | null = null;
  if (shaB && shaR) {
    same = shaB.length === shaR.length && shaB.every((s, i) => s === shaR[i]);
    if (!same) {
      const what = `${nameR} measured ${checkpointPaths(result)} (sha256 ${shaR.map(short).join(', ')}) but ${nameB} measured ${checkpointPaths(baseline)} (sha256 ${shaB.map(short).join(', ')})`;
      if (!opts.allowDifferentCheckpoint) {
        throw new UsageError(`check: ${what}; pass --allow-different-checkpoint to compare different checkpoints`);
      }
      notes.push(`different checkpoints: ${what}`);
    }
  } else {
    notes.push('the checkpoints cannot be compared: a document does not record its checkpoint');
  }
  settingNotes(result, baseline, notes);
  resultWarnings(result, notes);

  const now = new Map(extractMeasures(result).map((m) => [m.name, m]));
  const baseMeasures = extractMeasures(baseline);
  if (baseMeasures.length === 0) {
    // 0 of 0 measures would pass while checking nothing: a baseline that guards nothing is an error.
    throw new InputError(
      `check: ${nameB} holds no measures (no eigenvalues, trace, losses, ball or volume values), so the check would pass without checking anything; write the baseline from a ${sb.command} result that measured something (sharpness check RESULT --baseline ${nameB} --update)`,
    );
  }
  const rows = baseMeasures.map((b) => compareOne(b, now.get(b.name), tol));
  const counts: Record<Verdict, number> = { ok: 0, drift: 0, missing: 0 };
  for (const r of rows) counts[r.verdict]++;
  const extra = [...now.keys()].filter((k) => !rows.some((r) => r.measure === k));
  if (extra.length > 0) notes.push(`${extra.length} measure${extra.length === 1 ? '' : 's'} of ${nameR} not in ${nameB}, not checked: ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ', ...' : ''}`);
  return {
    ok: counts.drift === 0 && (counts.missing === 0 || opts.allowMissing === true),
    schema: baseline.schema,
    command: sb.command,
    tolerances: tol,
    counts,
    rows,
    drifted: rows.filter((r) => r.verdict === Verdict.drift).map((r) => r.measure),
    missing: rows.filter((r) => r.verdict === Verdict.missing).map((r) => r.measure),
    notes,
    checkpoint: { baseline: shaB ? shaB.join(',') : null, now: shaR ? shaR.join(',') : null, same },
  };
}
