/**
 * Which figure of which paper each report figure reproduces, the paper's claim, and
 * whether the small-scale result agrees: decided from the figure's own data, never tuned.
 * Solutions are recognised by their labels (SGD, SAM, SWA, FGE, case-insensitive, at the
 * start of the label: 'SGD from epoch 9' is an SGD solution, 'SWA of FGE' an SWA one);
 * where the roles a claim compares are not all present the verdict is 'n/a'.
 */
import type { LineFigureInput, PlaneFigureInput, RaysFigureInput, SpectraFigureInput, TrainingFigureInput } from './figureInputs.ts';
import { formatNumber } from './formatNumber.ts';

export type Role = 'sgd' | 'sam' | 'swa' | 'fge';
export type Verdict = 'agrees' | 'disagrees' | 'n/a';

export interface PaperClaim {
  /** The paper and figure or table, e.g. 'Izmailov et al. (2018), Figure 5'. */
  reproduces: string;
  /** What the paper shows, in one sentence. */
  claim: string;
  verdict: Verdict;
  /** The numbers the verdict rests on (or why there is none). */
  evidence: string;
}

export const SWA_PAPER = 'Izmailov et al. (2018), "Averaging Weights Leads to Wider Optima and Better Generalization"';
export const SAM_PAPER = 'Foret et al. (2021), "Sharpness-Aware Minimization for Efficiently Improving Generalization"';

/** The method a label names, from its first word. */
export function roleOf(label: string): Role | null {
  const m = /^\s*(sgd|sam|swa|fge)\b/i.exec(label);
  return m ? (m[1]!.toLowerCase() as Role) : null;
}

function find<T extends { label: string }>(items: readonly T[], role: Role): T | undefined {
  return items.find((i) => roleOf(i.label) === role);
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const num = (x: number) => formatNumber(x);

/** Hessian spectra: SAM's (and SWA's) lambda_max below SGD's. */
export function spectraClaim(input: SpectraFigureInput): PaperClaim {
  const base = {
    reproduces: `${SAM_PAPER}, Figure 3 (the Hessian spectrum at SGD's and SAM's solutions)`,
    claim: 'SAM converges to a flatter minimum than SGD: a smaller largest eigenvalue λ_max (and so does SWA, by the SWA paper).',
  };
  const sgd = find(input.solutions, 'sgd');
  const others = (['sam', 'swa'] as const).map((r) => find(input.solutions, r)).filter((s) => s !== undefined && s.eigenvalues.length > 0);
  if (!sgd || sgd.eigenvalues.length === 0 || others.length === 0) return { ...base, verdict: 'n/a', evidence: 'needs λ_max of SGD and of SAM or SWA' };
  const l0 = sgd.eigenvalues[0]!;
  const ok = others.every((o) => o!.eigenvalues[0]! < l0);
  return {
    ...base,
    verdict: ok ? 'agrees' : 'disagrees',
    evidence: [`λ_max ${sgd.label} ${num(l0)}`, ...others.map((o) => `${o!.label} ${num(o!.eigenvalues[0]!)}`)].join(', '),
  };
}

/** The mean train-loss increase at the furthest point of each solution's rays. */
function rayRise(s: RaysFigureInput['solutions'][number]): number | null {
  const rises = s.rays
    .map((r) => {
      const first = r.points[0]?.trainLoss;
      const last = r.points[r.points.length - 1]?.trainLoss;
      return typeof first === 'number' && typeof last === 'number' ? last - first : null;
    })
    .filter((x): x is number => x !== null);
  return rises.length === 0 ? null : rises.reduce((a, b) => a + b, 0) / rises.length;
}

/** Random rays: the loss rises more slowly from SWA than from SGD. */
export function raysClaim(input: RaysFigureInput): PaperClaim {
  const base = {
    reproduces: `${SWA_PAPER}, Figure 4 (train loss and test error along random rays from SWA and SGD)`,
    claim: 'Along random directions the loss rises more slowly from SWA than from SGD: SWA lies in a wider region of low loss.',
  };
  const sgd = find(input.solutions, 'sgd');
  const swa = find(input.solutions, 'swa') ?? find(input.solutions, 'sam');
  const a = sgd ? rayRise(sgd) : null;
  const b = swa ? rayRise(swa) : null;
  if (a === null || b === null) return { ...base, verdict: 'n/a', evidence: 'needs rays from SGD and from SWA' };
  return {
    ...base,
    verdict: b < a ? 'agrees' : 'disagrees',
    evidence: `mean train-loss rise at the furthest distance: ${swa!.label} ${num(b)}, ${sgd!.label} ${num(a)}`,
  };
}

function at(points: LineFigureInput['points'], alpha: number): LineFigureInput['points'][number] | undefined {
  let best: LineFigureInput['points'][number] | undefined;
  for (const p of points) if (!best || Math.abs(p.alpha - alpha) < Math.abs(best.alpha - alpha)) best = p;
  return best;
}

/** The line through SWA and SGD: SWA has the lower test error; beyond SGD the loss rises faster than beyond SWA. */
export function lineClaim(input: LineFigureInput): PaperClaim {
  const base = {
    reproduces: `${SWA_PAPER}, Figure 5 (train loss and test error on the line through SWA and SGD)`,
    claim: 'SWA has a lower test error than SGD although its train loss is not lower; SGD lies near the edge of the flat region, where the loss rises steeply.',
  };
  const swa = find(input.checkpoints, 'swa');
  const sgd = find(input.checkpoints, 'sgd');
  if (!swa || !sgd) return { ...base, verdict: 'n/a', evidence: 'not a line through SWA and SGD' };
  const errOf = (c: typeof swa) => c.values?.evalError ?? at(input.points, c.alpha)?.evalError;
  const lossOf = (alpha: number) => at(input.points, alpha)?.trainLoss;
  const eSwa = errOf(swa);
  const eSgd = errOf(sgd);
  const dir = Math.sign(sgd.alpha - swa.alpha);
  const span = Math.abs(sgd.alpha - swa.alpha) / 2;
  const beyondSgd = lossOf(sgd.alpha + dir * span);
  const beyondSwa = lossOf(swa.alpha - dir * span);
  const lSgd = lossOf(sgd.alpha);
  const lSwa = lossOf(swa.alpha);
  if (typeof eSwa !== 'number' || typeof eSgd !== 'number' || [beyondSgd, beyondSwa, lSgd, lSwa].some((v) => typeof v !== 'number')) {
    return { ...base, verdict: 'n/a', evidence: 'needs the test error and the train loss on both sides' };
  }
  const riseSgd = beyondSgd! - lSgd!;
  const riseSwa = beyondSwa! - lSwa!;
  return {
    ...base,
    verdict: eSwa < eSgd && riseSgd > riseSwa ? 'agrees' : 'disagrees',
    evidence: `test error ${swa.label} ${pct(eSwa)}, ${sgd.label} ${pct(eSgd)}; train-loss rise half a segment beyond ${sgd.label} ${num(riseSgd)}, beyond ${swa.label} ${num(riseSwa)}`,
  };
}

/** Planes: Figure 1 left (FGE snapshots, the average projected) or middle/right (SGD and SWA). */
export function planeClaim(input: PlaneFigureInput): PaperClaim | null {
  const roles = input.checkpoints.map((c) => roleOf(c.label));
  const err = (label: string) => input.checkpoints.find((c) => c.label === label)?.values?.evalError;
  if (roles.filter((r) => r === 'fge').length >= 3) {
    const swa = input.checkpoints.find((c) => roleOf(c.label) === 'swa');
    const base = {
      reproduces: `${SWA_PAPER}, Figure 1 left (test error on the plane through three FGE snapshots, the SWA average marked)`,
      claim: 'Averaging the FGE snapshots in weight space lands in a region of lower test error than the snapshots themselves, near the centre of the low-error region.',
    };
    const fge = input.checkpoints.filter((c) => roleOf(c.label) === 'fge').map((c) => err(c.label));
    const e = swa ? err(swa.label) : undefined;
    if (typeof e !== 'number' || fge.some((x) => typeof x !== 'number')) return { ...base, verdict: 'n/a', evidence: 'needs the test error of the snapshots and of their average' };
    const best = Math.min(...(fge as number[]));
    return {
      ...base,
      verdict: e < best ? 'agrees' : 'disagrees',
      evidence: `test error ${swa!.label} ${pct(e)}, best snapshot ${pct(best)}${swa!.offPlane !== undefined ? `; ${swa!.label} is ${num(swa!.offPlane)} from the plane` : ''}`,
    };
  }
  const sgd = input.checkpoints.find((c) => roleOf(c.label) === 'sgd');
  const swa = input.checkpoints.find((c) => roleOf(c.label) === 'swa');
  if (!sgd || !swa) return null;
  const base = {
    reproduces: `${SWA_PAPER}, Figure 1 middle and right (test error and train loss on the plane through SGD and SWA)`,
    claim: 'SWA and SGD from the same start: SWA sits nearer the centre of the low-error region and has the lower test error; SGD stays near its edge.',
  };
  const a = err(swa.label);
  const b = err(sgd.label);
  if (typeof a !== 'number' || typeof b !== 'number') return { ...base, verdict: 'n/a', evidence: 'needs the test error at SWA and SGD' };
  return { ...base, verdict: a < b ? 'agrees' : 'disagrees', evidence: `test error ${swa.label} ${pct(a)}, ${sgd.label} ${pct(b)}` };
}

/** Training curves: the running average of the constant-rate iterates beats them and the decaying-rate run. */
export function trainingClaim(input: TrainingFigureInput): PaperClaim {
  const base = {
    reproduces: `${SWA_PAPER}, Figure 7 (test error against epoch: a constant and a decaying rate from the same start, and the running average of the constant-rate iterates)`,
    claim: 'The running average of the constant-rate iterates reaches a lower test error than those iterates and than SGD with the decaying rate.',
  };
  const swa = input.runs.find((r) => r.epochs.some((e) => typeof e.averageEvalAcc === 'number'));
  const sgd = input.runs.find((r) => roleOf(r.label) === 'sgd' && r !== swa);
  const last = swa?.epochs[swa.epochs.length - 1];
  const lastSgd = sgd?.epochs[sgd.epochs.length - 1];
  if (!last || typeof last.averageEvalAcc !== 'number' || typeof last.evalAcc !== 'number' || typeof lastSgd?.evalAcc !== 'number') {
    return { ...base, verdict: 'n/a', evidence: 'needs an SWA run (with its running average) and an SGD run' };
  }
  const eAvg = 1 - last.averageEvalAcc;
  const eIt = 1 - last.evalAcc;
  const eSgd = 1 - lastSgd.evalAcc;
  return {
    ...base,
    verdict: eAvg < eIt && eAvg <= eSgd ? 'agrees' : 'disagrees',
    evidence: `final test error: running average ${pct(eAvg)}, constant-rate iterate ${pct(eIt)}, ${sgd!.label} (decaying) ${pct(eSgd)}`,
  };
}

/** The table: SAM and SWA (and FGE) more accurate than SGD. */
export function accuracyClaim(rows: readonly { label: string; accuracy?: { value: number } }[]): PaperClaim {
  const base = {
    reproduces: `${SAM_PAPER}, Table 1 and ${SWA_PAPER}, Table 1 (test error at equal budget)`,
    claim: 'SAM and SWA reach a lower test error than SGD at the same budget (and FGE\'s ensemble too).',
  };
  const acc = (l: string) => rows.find((r) => r.label === l)?.accuracy?.value;
  const sgd = rows.find((r) => roleOf(r.label) === 'sgd' && r.accuracy);
  // SAM and SWA solutions, and FGE's ensemble (not its single snapshots).
  const others = rows.filter((r) => r !== sgd && r.accuracy && (['sam', 'swa'].includes(roleOf(r.label) ?? '') || (roleOf(r.label) === 'fge' && /\bensemble\b/i.test(r.label))));
  if (!sgd || others.length === 0) return { ...base, verdict: 'n/a', evidence: 'needs the test accuracy of SGD and of SAM or SWA' };
  const e = (l: string) => 1 - acc(l)!;
  return {
    ...base,
    verdict: others.every((o) => e(o.label) < e(sgd.label)) ? 'agrees' : 'disagrees',
    evidence: [sgd, ...others].map((r) => `${r.label} ${pct(e(r.label))}`).join(', ') + ' (one seed: a single draw, not a mean)',
  };
}
