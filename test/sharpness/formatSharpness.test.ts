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
  t.is(ball.split('\n').length, 1 + 1 + 2 + 1);
  t.regex(ball, /± /);
  const vol = formatVolumeResult(flatVolume(q, { delta: 0.1, directions: 5, maxRadius: 0.62, perLayer: true, bootstrap: 20 }));
  t.regex(vol, /lower bound in expectation; \d+ radii reached --max-radius 0\.62/);
  t.regex(vol, /block1: log volume/);
  q.dispose();
});
