import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../../src/errors.ts';
import { parseSidecar, readSidecar, validateSidecar } from '../../src/io/sidecar.ts';
import { tmpDir } from './helpers/files.ts';

test('a full sidecar is accepted and unknown keys are kept', (t) => {
  const s = {
    method: 'sam',
    hyperparameters: { rho: 0.05, lr: 0.1 },
    epoch: 10,
    seed: 0,
    metrics: { testError: 0.012 },
    parent: 'ckpt/sgd',
    createdBy: 'sharpness 0.1.0',
    schema: 'future',
  };
  t.deepEqual(validateSidecar(s, 'x'), s);
});

test('bad fields are InputErrors naming the file and the field', (t) => {
  const cases: [unknown, string][] = [
    [[1], 'must be a JSON object'],
    [{ method: 3 }, 'has method 3; expected a non-empty string'],
    [{ epoch: 1.5 }, 'has epoch 1.5; expected an integer >= 0'],
    [{ seed: -1 }, 'has seed -1'],
    [{ hyperparameters: [] }, 'has hyperparameters []; expected an object'],
    [{ metrics: { a: null } }, 'has metrics.a null; expected a finite number'],
  ];
  for (const [v, msg] of cases) {
    const e = t.throws(() => validateSidecar(v, 'dir/sharpness.json'), { instanceOf: InputError });
    t.true(e!.message.startsWith('checkpoint: dir/sharpness.json '), e!.message);
    t.true(e!.message.includes(msg), e!.message);
  }
  t.throws(() => parseSidecar('{', 'f.json'), { instanceOf: InputError, message: /checkpoint: f\.json is not valid JSON/ });
});

test('readSidecar: absent is undefined, present is parsed', async (t) => {
  const d = tmpDir('side');
  t.is(await readSidecar(d), undefined);
  fs.writeFileSync(path.join(d, 'sharpness.json'), '{"epoch": 4}');
  t.deepEqual(await readSidecar(d), { epoch: 4 });
});
