import test from 'ava';
import { UsageError } from '../../src/errors.ts';
import {
  axisValues,
  formatRange,
  parseRange,
  parseShard,
  resolveLandscapeSpec,
  shardIndices,
  type LandscapeRequest,
} from '../../src/landscape/landscapeOptions.ts';

test('parseRange: a:b:n, per axis for planes, auto only for --plane; defaults per kind', (t) => {
  t.deepEqual(parseRange('rays', '0:2:5'), { auto: false, axes: [{ from: 0, to: 2, n: 5 }] });
  t.deepEqual(parseRange('random-plane', '-1:1:3'), { auto: false, axes: [{ from: -1, to: 1, n: 3 }, { from: -1, to: 1, n: 3 }] });
  t.deepEqual(parseRange('plane', '-1:1:3,0:2:4'), { auto: false, axes: [{ from: -1, to: 1, n: 3 }, { from: 0, to: 2, n: 4 }] });
  t.deepEqual(parseRange('plane', 'auto'), { auto: true, n: 21 });
  t.deepEqual(parseRange('plane', 'auto:7'), { auto: true, n: 7 });
  t.is(formatRange(parseRange('line', undefined)), '-0.5:1.5:21');
  t.is(formatRange(parseRange('rays', undefined)), '0:1:21');
  t.is(formatRange(parseRange('random-plane', undefined)), '-1:1:21,-1:1:21');
  t.is(formatRange(parseRange('plane', undefined)), 'auto:21');
  t.is(formatRange(parseRange('line', ' -1e-1 : 2 : 3 ')), '-0.1:2:3');
});

test('parseRange refuses bad ranges with the option and the value in the message', (t) => {
  for (const [kind, bad] of [
    ['line', '1:0:5'],
    ['line', '0:1'],
    ['line', '0:1:1'],
    ['line', '0:1:2.5'],
    ['line', 'a:1:3'],
    ['line', '0::3'],
    ['line', '0:1:3,0:1:3'],
    ['rays', 'auto'],
    ['random-plane', 'auto:5'],
    ['plane', '0:1:3,0:1:3,0:1:3'],
    ['plane', 'auto:1'],
    ['line', '0:Infinity:3'],
  ] as const) {
    const e = t.throws(() => parseRange(kind, bad), { instanceOf: UsageError }, `${kind} ${bad}`);
    t.regex(e!.message, /--range/);
    t.true(e!.message.includes(bad.trim()), e!.message);
  }
});

test('axisValues: evenly spaced with exact endpoints and exact 0 and 1 on the default grids', (t) => {
  t.deepEqual(axisValues({ from: -1, to: 1, n: 5 }), [-1, -0.5, 0, 0.5, 1]);
  const line = axisValues({ from: -0.5, to: 1.5, n: 21 });
  t.is(line.length, 21);
  t.is(line[0], -0.5);
  t.is(line[5], 0);
  t.is(line[15], 1);
  t.is(line[20], 1.5);
  t.is(axisValues({ from: -1, to: 1, n: 21 })[10], 0);
});

test('parseShard: k/n with 1 <= k <= n; 3/2, 0/2, 1/0, a/b and 1.5/2 are usage errors', (t) => {
  t.deepEqual(parseShard('2/3'), { k: 2, n: 3 });
  t.deepEqual(parseShard(' 1 / 1 '), { k: 1, n: 1 });
  t.is(parseShard(undefined), undefined);
  for (const bad of ['3/2', '0/2', '1/0', 'a/b', '1.5/2', '2', '-1/2']) {
    const e = t.throws(() => parseShard(bad), { instanceOf: UsageError });
    t.regex(e!.message, /--shard must be k\/n/);
    t.true(e!.message.includes(bad));
  }
});

test('shardIndices: shards partition the items, each deterministic', (t) => {
  const all = shardIndices(10, undefined);
  t.deepEqual(all, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const parts = [1, 2, 3].map((k) => shardIndices(10, { k, n: 3 }));
  t.deepEqual(parts[0], [0, 3, 6, 9]);
  t.deepEqual(parts[1], [1, 4, 7]);
  t.deepEqual(parts.flat().sort((a, b) => a - b), all);
  t.deepEqual(shardIndices(2, { k: 4, n: 4 }), []);
});

const base: LandscapeRequest = { checkpoint: 'a', data: 'mnist:test:10', loss: 'auto', bn: 'eval', l2: 0, batchSize: 1000, seed: 0 };

test('resolveLandscapeSpec: one of --rays, --to, --plane, --random-plane; defaults resolved', (t) => {
  const rays = resolveLandscapeSpec({ ...base, rays: 3 });
  t.is(rays.kind, 'rays');
  t.is(rays.norm, 'filter');
  t.deepEqual(rays.ignore, ['bias', 'bn']);
  t.is(rays.range, '0:1:21');
  const none = resolveLandscapeSpec({ ...base, randomPlane: true, norm: 'none' });
  t.deepEqual(none.ignore, []);
  const line = resolveLandscapeSpec({ ...base, to: 'b', bn: 'recompute' });
  t.deepEqual(line.checkpoints, ['a', 'b']);
  t.is(line.norm, undefined);
  t.is(line.bn, 'recompute');
  const plane = resolveLandscapeSpec({ ...base, plane: 'b, c' });
  t.deepEqual(plane.checkpoints, ['a', 'b', 'c']);
  for (const [req, re] of [
    [{ ...base }, /choose what to draw/],
    [{ ...base, rays: 2, randomPlane: true }, /--rays and --random-plane cannot be combined/],
    [{ ...base, to: 'b', norm: 'filter' }, /--norm and --ignore apply to random directions/],
    [{ ...base, plane: 'b' }, /--plane must be two checkpoints/],
    [{ ...base, rays: 0 }, /--rays must be an integer/],
    [{ ...base, rays: 2, bn: 'bogus' }, /--bn must be one of eval, train, recompute/],
    [{ ...base, rays: 2, ignore: 'weights' }, /--ignore/],
    [{ ...base, rays: 2, norm: 'l7' }, /--norm/],
  ] as [LandscapeRequest, RegExp][]) {
    t.throws(() => resolveLandscapeSpec(req), { instanceOf: UsageError, message: re });
  }
});
