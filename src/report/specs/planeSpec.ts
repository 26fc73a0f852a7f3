/**
 * A 2D slice of the landscape (Garipov et al. 2018, Fig. 1; Izmailov et al. 2018,
 * Fig. 1; Li et al. 2018): one heatmap per metric, the solutions marked and labelled.
 * Every cell is a whole number of pixels (width = columns x cell size), so no seams show
 * between cells in any renderer.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { FigureOptions, PlaneFigureInput, PlaneMetricName } from '../figureInputs.ts';
import { INK, SEQUENTIAL_SCHEME } from '../theme.ts';
import { finite, frame, percent, wantsLog } from './common.ts';

const TITLES: Record<PlaneMetricName, string> = {
  trainLoss: 'train loss',
  evalLoss: 'test loss',
  trainError: 'train error (%)',
  evalError: 'test error (%)',
};

/** Target size of the longer side of a heatmap, in pixels. */
const TARGET_PX = 300;

/** Cell edges of grid points: half-way between neighbours, half a step beyond the ends. */
export function cellEdges(xs: readonly number[]): number[] {
  const n = xs.length;
  if (n === 1) return [xs[0]! - 0.5, xs[0]! + 0.5];
  const edges = [xs[0]! - (xs[1]! - xs[0]!) / 2];
  for (let i = 0; i + 1 < n; i++) edges.push((xs[i]! + xs[i + 1]!) / 2);
  edges.push(xs[n - 1]! + (xs[n - 1]! - xs[n - 2]!) / 2);
  return edges;
}

/** Pixels per cell: an integer >= 1 so that the longer side is about TARGET_PX. */
export function defaultCellSize(nx: number, ny: number): number {
  return Math.max(1, Math.round(TARGET_PX / Math.max(nx, ny, 1)));
}

export function planeSpec(input: PlaneFigureInput, options: FigureOptions = {}): TopLevelSpec {
  const nx = input.xs.length;
  const ny = input.ys.length;
  const cell = input.cellSize ?? defaultCellSize(nx, ny);
  const xe = cellEdges(input.xs);
  const ye = cellEdges(input.ys);
  const xDomain = [xe[0]!, xe[nx]!];
  const yDomain = [ye[0]!, ye[ny]!];
  const xMid = (xDomain[0]! + xDomain[1]!) / 2;
  const marks = input.checkpoints.map((c) => ({
    label: c.offPlane === undefined ? c.label : `${c.label} (projected)`,
    x: c.x,
    y: c.y,
    side: c.x <= xMid ? 'left' : 'right',
    kind: c.offPlane === undefined ? 'in the plane' : 'projected',
  }));
  const x = { field: 'x', type: 'quantitative' as const, title: input.xTitle ?? 'x', scale: { domain: xDomain, nice: false, zero: false } };
  const y = { field: 'y', type: 'quantitative' as const, title: input.yTitle ?? 'y', scale: { domain: yDomain, nice: false, zero: false } };
  const label = (side: 'left' | 'right', halo: boolean) => ({
    data: { values: marks },
    transform: [{ filter: { field: 'side', equal: side } }],
    mark: {
      type: 'text' as const,
      align: side,
      dx: side === 'left' ? 7 : -7,
      dy: -7,
      fontSize: 11,
      fill: INK,
      ...(halo ? { stroke: 'white', strokeWidth: 3, strokeJoin: 'round' as const, strokeOpacity: 0.9 } : {}),
    },
    encoding: { x, y, text: { field: 'label', type: 'nominal' as const } },
  });

  const panels = input.metrics.map((m) => {
    const isError = m.name === 'trainError' || m.name === 'evalError';
    const scale = isError ? percent : (v: number) => v;
    const rows: { x: number; x2: number; y: number; y2: number; value: number }[] = [];
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const v = m.values[j]?.[i];
        if (finite(v)) rows.push({ x: xe[i]!, x2: xe[i + 1]!, y: ye[j]!, y2: ye[j + 1]!, value: scale(v) });
      }
    }
    const log = !isError && (input.lossScale ? input.lossScale === 'log' : wantsLog(rows.map((r) => r.value), 20));
    return {
      width: nx * cell,
      height: ny * cell,
      layer: [
        {
          data: { values: rows },
          mark: { type: 'rect' as const, strokeWidth: 0 },
          encoding: {
            x,
            x2: { field: 'x2' },
            y,
            y2: { field: 'y2' },
            color: {
              field: 'value',
              type: 'quantitative' as const,
              title: TITLES[m.name],
              scale: { scheme: SEQUENTIAL_SCHEME, ...(log ? { type: 'log' as const } : { zero: false }) },
              legend: { gradientLength: Math.max(60, ny * cell - 20) },
            },
          },
        },
        {
          data: { values: marks },
          mark: { type: 'point' as const, shape: 'circle', filled: true, fill: 'white', stroke: INK, strokeWidth: 1.5, size: 55, opacity: 1 },
          encoding: {
            x,
            y,
            // a checkpoint projected onto the plane is a diamond
            shape: { field: 'kind', type: 'nominal' as const, scale: { domain: ['in the plane', 'projected'], range: ['circle', 'diamond'] }, legend: null },
          },
        },
        label('left', true),
        label('left', false),
        label('right', true),
        label('right', false),
      ],
    };
  });
  return {
    ...frame(options),
    hconcat: panels,
    resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } },
  };
}
