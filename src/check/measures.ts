/**
 * The measures of a result document, one scalar each, under a path-like name that says what
 * was measured and under which setting (norm, radius, order), so that two documents are
 * compared name by name and a changed setting shows up as a missing measure, never as a
 * silent comparison of different things:
 *
 *   hessian   hessian.eigenvalues[i] (descending; hessian.smallestEigenvalues[i] with --smallest),
 *             hessian.trace (stochastic), hessian.perLayer[LAYER].eigenvalue / .trace (stochastic)
 *   ball      ball.baseLoss, ball.NORM[-adaptive][-eta=E].r=R.maxLoss / .sharpness,
 *             ball.NORM....r=R.averageLoss (stochastic)
 *   volume    volume.delta, volume.dimension, volume.baseLoss, volume.logVolume (stochastic),
 *             volume.geometricMeanRadius, volume.perLayer[LAYER].logVolume (stochastic)
 *   evaluate  evaluate.models[i].loss / .accuracy, evaluate.ensemble.loss / .accuracy
 *
 * A stochastic measure carries its standard error: the trace's and the average-case loss's
 * own, and for a log-volume the half-width of its confidence interval divided by the normal
 * quantile of its level (1.96 at 95%). Values that are null (accuracy of a regression) are
 * not measures.
 */
import { InputError, UsageError } from '../errors.ts';
import type { ResultDocument } from '../results/resultDocument.ts';
import { ballResultSchema, type BallResult } from '../results/ballDocument.ts';
import { evaluateResultSchema, type EvaluateResult } from '../results/evaluateDocument.ts';
import { hessianReportSchema, type HessianReport } from '../results/hessianDocument.ts';
import { volumeResultSchema, type VolumeResult } from '../results/volumeDocument.ts';
import { firstProblem } from '../results/validateJson.ts';
import type { Schema } from '../results/schema.ts';

export const MeasureKind = {
  /** The same inputs and seed give the same number, up to floating-point rounding. */
  deterministic: 'deterministic',
  /** A Monte-Carlo estimate with a standard error. */
  stochastic: 'stochastic',
} as const;
export type MeasureKind = (typeof MeasureKind)[keyof typeof MeasureKind];

export interface Measure {
  name: string;
  kind: MeasureKind;
  /** null when the document holds null or a non-number where a number belongs. */
  value: number | null;
  /** Stochastic measures: the standard error (0 for an exact value, as in a golden). */
  stderr?: number;
}

/** The commands whose results `check` compares. */
export const CheckableCommand = {
  hessian: 'hessian',
  ball: 'ball',
  volume: 'volume',
  evaluate: 'evaluate',
} as const;
export type CheckableCommand = (typeof CheckableCommand)[keyof typeof CheckableCommand];
export const CHECKABLE_COMMANDS: readonly CheckableCommand[] = Object.values(CheckableCommand);
export function isCheckableCommand(x: unknown): x is CheckableCommand {
  return typeof x === 'string' && (CHECKABLE_COMMANDS as readonly string[]).includes(x);
}

/** 'sharpness/hessian@1' -> {command: 'hessian', major: 1}; null when not a schema tag. */
export function parseSchema(schema: unknown): { command: string; major: number } | null {
  if (typeof schema !== 'string') return null;
  const m = /^sharpness\/([a-z][a-z0-9-]*)@(\d+)$/.exec(schema);
  return m ? { command: m[1]!, major: Number(m[2]) } : null;
}

type Json = Record<string, unknown>;

function isObject(x: unknown): x is Json {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function num(x: unknown): number | null {
  return typeof x === 'number' ? x : null;
}

function det(name: string, value: unknown): Measure {
  return { name, kind: MeasureKind.deterministic, value: num(value) };
}

function stoch(name: string, value: unknown, stderr: unknown): Measure {
  const se = num(stderr);
  return { name, kind: MeasureKind.stochastic, value: num(value), stderr: se !== null && Number.isFinite(se) && se >= 0 ? se : 0 };
}

/** The standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) return NaN;
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/**
 * The standard error implied by a confidence interval [lo, hi] of level `confidence`:
 * (hi - lo) / (2 z), z the normal quantile of (1 + confidence) / 2. 0 for a zero-width
 * interval (an exact value); 0 when the interval is missing or malformed.
 */
export function stderrFromInterval(ci: unknown, confidence: unknown): number {
  if (!Array.isArray(ci) || ci.length !== 2) return 0;
  const [lo, hi] = ci as unknown[];
  if (typeof lo !== 'number' || typeof hi !== 'number' || !(hi >= lo)) return 0;
  const level = typeof confidence === 'number' && confidence > 0 && confidence < 1 ? confidence : 0.95;
  return (hi - lo) / (2 * normalQuantile((1 + level) / 2));
}

function hessianMeasures(r: HessianReport): Measure[] {
  const key = r.order === 'ascending' || r.which === 'smallest' ? 'hessian.smallestEigenvalues' : 'hessian.eigenvalues';
  const out = r.eigenvalues.map((v, i) => det(`${key}[${i}]`, v));
  if (r.trace) out.push(stoch('hessian.trace', r.trace.estimate, r.trace.stderr));
  for (const l of r.perLayer ?? []) {
    out.push(det(`hessian.perLayer[${l.layer}].eigenvalue`, l.eigenvalue));
    out.push(stoch(`hessian.perLayer[${l.layer}].trace`, l.trace.estimate, l.trace.stderr));
  }
  return out;
}

/** The name prefix of a ball result's set: 'ball.l2', 'ball.l2-adaptive', 'ball.linf-adaptive-eta=0.01', 'ball.box'. */
export function ballSetName(r: { norm?: unknown; adaptive?: unknown; eta?: unknown }): string {
  const eta = typeof r.eta === 'number' && r.eta > 0 ? `-eta=${r.eta}` : '';
  return `ball.${String(r.norm)}${r.adaptive === true ? `-adaptive${eta}` : ''}`;
}

function ballMeasures(r: BallResult): Measure[] {
  const out: Measure[] = [det('ball.baseLoss', r.baseLoss)];
  const set = ballSetName(r);
  for (const p of r.points) {
    const at = `${set}.r=${p.radius}`;
    out.push(det(`${at}.maxLoss`, p.maxLoss), det(`${at}.sharpness`, p.sharpness));
    if (p.averageLoss !== null && p.averageLoss !== undefined) out.push(stoch(`${at}.averageLoss`, p.averageLoss, p.averageStderr));
  }
  return out;
}

function volumeMeasures(r: VolumeResult): Measure[] {
  const out: Measure[] = [det('volume.delta', r.delta), det('volume.dimension', r.dimension), det('volume.baseLoss', r.baseLoss)];
  out.push(stoch('volume.logVolume', r.logVolume, stderrFromInterval(r.logVolumeCI, r.confidence)));
  // Written by every version that has it; older files may lack it.
  if (r.geometricMeanRadius !== undefined) out.push(det('volume.geometricMeanRadius', r.geometricMeanRadius));
  for (const l of r.perLayer ?? []) {
    out.push(stoch(`volume.perLayer[${l.layer}].logVolume`, l.logVolume, stderrFromInterval(l.logVolumeCI, r.confidence)));
  }
  return out;
}

function evaluateMeasures(r: EvaluateResult): Measure[] {
  const out: Measure[] = [];
  const scores = (prefix: string, s: { loss: number | null; accuracy: number | null }): void => {
    out.push(det(`${prefix}.loss`, s.loss));
    if (s.accuracy !== null && s.accuracy !== undefined) out.push(det(`${prefix}.accuracy`, s.accuracy));
  };
  r.models.forEach((m, i) => scores(`evaluate.models[${i}]`, m));
  if (r.ensemble) scores('evaluate.ensemble', r.ensemble);
  return out;
}

/**
 * The measures of a result document (see the module comment). Throws UsageError for a
 * document whose schema is not a hessian, ball, volume or evaluate result of major version 1.
 */
export function extractMeasures(doc: Pick<ResultDocument, 'schema' | 'result'>): Measure[] {
  const s = parseSchema(doc.schema);
  if (!s) throw new UsageError(`check: '${String(doc.schema)}' is not a sharpness schema tag (expected e.g. sharpness/hessian@1)`);
  if (!isCheckableCommand(s.command)) {
    throw new UsageError(`check: ${doc.schema} results cannot be checked; check compares the results of ${CHECKABLE_COMMANDS.join(', ')}`);
  }
  if (s.major !== 1) throw new UsageError(`check: ${doc.schema} is a newer result format than this version of sharpness reads (@1)`);
  if (!isObject(doc.result)) throw new UsageError(`check: the ${s.command} result has no result object`);
  // Read through the result's own schema (results/): the walkers below are typed, not guards.
  const typed = <T>(schema: Schema<T>): T => {
    const problem = firstProblem(schema as Schema<unknown>, doc.result);
    if (problem !== null) throw new InputError(`check: the ${s.command} result is not valid: result.${problem}`);
    return doc.result as T;
  };
  switch (s.command) {
    case CheckableCommand.hessian:
      return hessianMeasures(typed(hessianReportSchema));
    case CheckableCommand.ball:
      return ballMeasures(typed(ballResultSchema));
    case CheckableCommand.volume:
      return volumeMeasures(typed(volumeResultSchema));
    case CheckableCommand.evaluate:
      return evaluateMeasures(typed(evaluateResultSchema));
  }
}
