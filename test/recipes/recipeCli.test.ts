/**
 * `sharpness run` end to end on each shipped CNN recipe, shrunk (32 images, one batch of 32, 2 seeds, a
 * 4-epoch budget; everything else, the runs, budgets and table included, as shipped): the
 * table in results.json and results.md is the mean ± std over the per-seed results the same
 * file records, and the budgets trained the stated epochs.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { sharpness } from '../helpers/cli.ts';
import { tempDir } from '../helpers/checkpoints.ts';

interface Shipped {
  name: string;
  train: Record<string, unknown>;
  runs: { name: string; budget?: number; train: Record<string, unknown> }[];
  [k: string]: unknown;
}

/** The shipped recipe at toy scale: 32 images, seeds 0 and 1, budget 4 epochs, cyclic phases from epoch 2. */
function shrink(r: Shipped): Shipped {
  return {
    ...r,
    data: 'mnist:train:32',
    evalData: 'mnist:test:32',
    seeds: [0, 1],
    train: { ...r.train, epochs: 4, batchSize: 32 },
    runs: r.runs.map((x) => ({
      ...x,
      train: { ...x.train, ...(x.train['swaStart'] !== undefined ? { swaStart: 2 } : {}), ...(x.train['method'] === 'fge' ? { cycle: 2 } : {}) },
    })),
  };
}

interface ResultJson {
  bn: string;
  results: { run: string; seed: number; outDir: string; solutions: Record<string, Record<string, number | null>> }[];
  table: { layout: { metric: string; columns: { label: string; run: string; solution: string }[] }; cells: { label: string; mean: number; std: number; n: number }[] };
}

for (const file of ['sam-vs-sgd-cnn.json', 'swa-budgets-cnn.json']) {
  test(`sharpness run ${file} (shrunk): the table is computed from the runs' own results`, async (t) => {
    const dir = await tempDir('sharpness-recipe-cli-');
    const shipped = JSON.parse(await readFile(path.join('analyses', file), 'utf8')) as Shipped;
    const recipeFile = path.join(dir, file);
    await writeFile(recipeFile, JSON.stringify(shrink(shipped)));
    const out = path.join(dir, 'out');
    await mkdir(out);
    const r = await sharpness(['run', recipeFile, '--out', out, '--quiet'], { timeoutMs: 240_000 });
    t.is(r.status, 0, r.stderr);
    const res = JSON.parse(await readFile(path.join(out, 'results.json'), 'utf8')) as ResultJson;
    t.is(res.results.length, shipped.runs.length * 2);
    t.is(res.bn, 'eval', 'the BatchNorm mode of the scores is recorded');
    const { metric, columns } = res.table.layout;
    res.table.cells.forEach((cell, i) => {
      const col = columns[i]!;
      const xs = res.results.filter((x) => x.run === col.run).map((x) => 100 * x.solutions[col.solution]![metric]!);
      t.is(xs.length, 2);
      const mean = (xs[0]! + xs[1]!) / 2;
      t.true(Math.abs(cell.mean - mean) < 1e-9, `${cell.label}: ${cell.mean} vs ${mean}`);
      t.true(Math.abs(cell.std - Math.abs(xs[0]! - xs[1]!) / Math.SQRT2) < 1e-9, `${cell.label} std`);
    });
    // Each run trained its budget's epochs (the run's log records them).
    for (const run of shipped.runs) {
      const log = JSON.parse(await readFile(path.join(out, run.name, 'seed-0', 'train-log.json'), 'utf8')) as { epochs: unknown[] };
      t.is(log.epochs.length, Math.round(4 * (run.budget ?? 1)), run.name);
    }
    const md = await readFile(path.join(out, 'results.md'), 'utf8');
    t.true(md.includes(`| model | ${columns.map((c) => c.label).join(' | ')} |`), md);
    t.regex(md, /\(paper\) \|/);
    t.regex(md, /- The paper's claim .* [<>] .*: (agrees|disagrees) at this scale/);
    t.true(r.stdout.includes('| model |'), 'the table is printed');
  });
}
