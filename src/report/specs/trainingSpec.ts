/**
 * Training curves (Izmailov et al. 2018, Figs. 2 and 4): test error against the epoch,
 * train error dashed, the SWA running average's test error dotted, and the learning-rate
 * schedule of each run beside it (constant, decaying or cyclical), with a dotted rule
 * where weight averaging started. Without accuracies (regression) the losses are drawn.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { FigureOptions, TrainingFigureInput } from '../figureInputs.ts';
import { DASH, PANEL } from '../theme.ts';
import { finite, frame, paletteFor, percent, solutionColour } from './common.ts';

/** The curves of the left panel, in legend order. */
const CURVES = ['test', 'train', 'test, average'] as const;
type Curve = (typeof CURVES)[number];
const CURVE_DASH: Record<Curve, number[]> = { test: [...DASH.test], train: [...DASH.train], 'test, average': [1, 2] };

export function trainingSpec(input: TrainingFigureInput, options: FigureOptions = {}): TopLevelSpec {
  const palette = paletteFor(options, input.runs.map((r) => r.label));
  const hasAcc = input.runs.some((r) => r.epochs.some((e) => finite(e.evalAcc) || finite(e.trainAcc)));
  const curve = input.runs.flatMap((r) =>
    r.epochs.flatMap((e) => {
      const out: { solution: string; epoch: number; split: Curve; value: number }[] = [];
      const push = (split: Curve, v: number | null | undefined) => {
        if (finite(v) && finite(e.epoch)) out.push({ solution: r.label, epoch: e.epoch, split, value: v });
      };
      if (hasAcc) {
        push('test', finite(e.evalAcc) ? percent(1 - e.evalAcc) : null);
        push('train', finite(e.trainAcc) ? percent(1 - e.trainAcc) : null);
        push('test, average', finite(e.averageEvalAcc) ? percent(1 - e.averageEvalAcc) : null);
      } else {
        push('test', e.evalLoss);
        push('train', e.trainLoss);
      }
      return out;
    }),
  );
  const splits = CURVES.filter((s) => curve.some((c) => c.split === s));
  const what = hasAcc ? 'error (%)' : 'loss';
  const schedule = input.runs.flatMap((r) =>
    r.lr && r.lr.length > 0
      ? r.lr.filter((p) => finite(p.lr) && finite(p.epoch)).map((p) => ({ solution: r.label, epoch: p.epoch, lr: p.lr }))
      : r.epochs.filter((e) => finite(e.lr)).map((e) => ({ solution: r.label, epoch: e.epoch, lr: e.lr })),
  );
  const starts = input.runs.flatMap((r) => (finite(r.averageStart) ? [{ solution: r.label, epoch: r.averageStart }] : []));
  const x = { field: 'epoch', type: 'quantitative' as const, title: 'epoch', scale: { nice: false } };
  const startRule = {
    data: { values: starts },
    mark: { type: 'rule' as const, strokeDash: [2, 3], strokeWidth: 1.25 },
    encoding: { x, color: solutionColour(palette) },
  };
  const errorPanel = {
    width: PANEL.width,
    height: PANEL.height,
    layer: [
      ...(starts.length > 0 ? [startRule] : []),
      {
        data: { values: curve },
        mark: { type: 'line' as const },
        encoding: {
          x,
          y: {
            field: 'value',
            type: 'quantitative' as const,
            title: splits.length === 1 ? `${splits[0]} ${what}` : what,
            scale: { zero: false },
          },
          color: solutionColour(palette),
          ...(splits.length > 1
            ? {
                strokeDash: {
                  field: 'split',
                  type: 'nominal' as const,
                  scale: { domain: splits, range: splits.map((s) => CURVE_DASH[s]) },
                  legend: { title: null },
                },
              }
            : {}),
        },
      },
    ],
  };
  const lrPanel = {
    width: PANEL.width,
    height: PANEL.height,
    layer: [
      ...(starts.length > 0 ? [startRule] : []),
      {
        data: { values: schedule },
        mark: { type: 'line' as const, strokeWidth: 1.25 },
        encoding: {
          x,
          y: { field: 'lr', type: 'quantitative' as const, title: 'learning rate', axis: { format: '~g' } },
          color: solutionColour(palette),
        },
      },
    ],
  };
  const panels = [...(curve.length > 0 ? [errorPanel] : []), ...(schedule.length > 0 ? [lrPanel] : [])];
  return { ...frame(options), hconcat: panels };
}
