import test from 'ava';
import { createQuadraticObjective } from '../../src/objective/quadraticObjective.ts';
import { ballSharpness } from '../../src/sharpness/ballSharpness.ts';
import { flatVolume } from '../../src/sharpness/flatVolume.ts';
import { formatBallResult, formatVolumeResult } from '../../src/sharpness/formatSharpness.ts';
import { useBackend } from '../helpers/engine.ts';

test.before(async () => {
  await useBackend('cpu');
});

test('text summaries name the set, one row per radius, and the volume caveat', (t) => {
  const q = createQuadraticObjective({ eigenvalues: [1, 0.5, 1e-6], seed: 1, shapes: [[1], [2]] });
  const ball = formatBallResult(ballSharpness(q, { norm: 'linf', adaptive: true, eta: 0.1, radii: [0.1, 0.2], samples: 3, steps: 2, restarts: 1 }));
  t.regex(ball, /^ball \(linf adaptive \(eta 0\.1\)\): base loss 0\.00000/);
  // head, table header, two rows, a note per radius (3 coordinates: all 8 vertices evaluated), cost
  t.is(ball.split('\n').length, 1 + 1 + 2 + 2 + 1);
  t.regex(ball, /± /);
  t.regex(ball, /radius 0\.1000: every vertex of the set evaluated \(8\); exact for a convex loss/);
  // one start on the l2 ball: no second start to agree with
  const single = formatBallResult(ballSharpness(q, { norm: 'l2', radii: [0.1], samples: 0, steps: 2, restarts: 0 }));
  t.regex(single, /radius 0\.1000: not converged: fewer than two starts reached a finite loss; raise --restarts or --steps/);
  const vol = formatVolumeResult(flatVolume(q, { delta: 0.1, directions: 5, maxRadius: 0.62, perLayer: true, bootstrap: 20 }));
  t.regex(vol, /lower bound in expectation; \d+ radii reached --max-radius 0\.62/);
  t.regex(vol, /block1: log volume/);
  q.dispose();
});
