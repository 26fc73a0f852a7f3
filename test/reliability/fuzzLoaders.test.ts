/**
 * Property-based fuzzing (fast-check) of everything that reads untrusted bytes: random
 * and mutated model.json documents, weight manifests, weight files and .npy headers.
 * Only the typed, documented errors may come out (InputError / NumericError), never a
 * crash, a hang, an out-of-memory or a plain Error. Runs are bounded (numRuns, sizes).
 */
import { mkdtemp, writeFile, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import fc from 'fast-check';
import { tfl } from '../../src/engine/tf.ts';
import { saveCheckpoint } from '../../src/io/checkpoint.ts';
import { loadLayers as loadCheckpoint } from '../../src/formats/loadCheckpoint.ts';
import { decodeNpy, encodeNpy } from '../../src/io/npy.ts';
import { InputError, NumericError, SharpnessError } from '../../src/errors.ts';
import { useBackend } from '../helpers/engine.ts';
import { readFileSync } from 'node:fs';

let base = '';
let goodModelJson: Record<string, unknown> = {};
let goodWeights = new Uint8Array();

test.before(async () => {
  await useBackend('cpu');
  base = await mkdtemp(path.join(tmpdir(), 'sharpness-fuzz-'));
  const m = tfl.sequential({
    layers: [tfl.layers.dense({ inputShape: [3], units: 4, activation: 'relu' }), tfl.layers.dense({ units: 2 })],
  });
  const dir = path.join(base, 'good');
  await saveCheckpoint(m, dir);
  goodModelJson = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
  goodWeights = new Uint8Array(readFileSync(path.join(dir, 'weights.bin')));
});

test.after.always(async () => {
  await rm(base, { recursive: true, force: true });
});

/** Loads a checkpoint made of these files; returns 'ok' or the error's class name. */
async function tryLoad(files: Record<string, string | Uint8Array>): Promise<string> {
  const dir = await mkdtemp(path.join(base, 'case-'));
  for (const [name, data] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), data);
  }
  try {
    const c = await loadCheckpoint(dir);
    c.model.dispose();
    return 'ok';
  } catch (e) {
    if (e instanceof SharpnessError) {
      if (e.message.includes('\n')) return `multi-line ${e.name}`;
      return e.name;
    }
    return `UNTYPED ${(e as Error)?.name}: ${(e as Error)?.message}`;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const ALLOWED = new Set(['ok', 'InputError', 'NumericError']);

test.serial('random JSON as model.json: only typed errors', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (v) => {
      const r = await tryLoad({ 'model.json': JSON.stringify(v), 'weights.bin': goodWeights });
      return ALLOWED.has(r) || (t.log(r), false);
    }),
    { numRuns: 60, seed: 1 },
  );
  t.pass();
});

test.serial('mutated model.json fields (topology, manifest paths, shapes, dtypes, names): only typed errors', async (t) => {
  const mutation = fc.oneof(
    fc.record({ path: fc.constantFrom('weightsManifest'), value: fc.jsonValue({ maxDepth: 3 }) }),
    fc.record({ path: fc.constantFrom('modelTopology'), value: fc.jsonValue({ maxDepth: 3 }) }),
    fc.record({
      path: fc.constant('paths'),
      value: fc.constantFrom('../x.bin', '/etc/passwd', 'a/../../b', '', 'weights.bin\0', 'nope.bin', 'C:\\w.bin', '..'),
    }),
    fc.record({ path: fc.constant('shape'), value: fc.array(fc.integer({ min: -3, max: 1 << 30 }), { maxLength: 5 }) }),
    fc.record({ path: fc.constant('dtype'), value: fc.constantFrom('float64', 'complex64', 'string', 'int8', 'bool', 'float16', '') }),
    fc.record({ path: fc.constant('name'), value: fc.string({ maxLength: 12 }) }),
    fc.record({ path: fc.constant('className'), value: fc.string({ maxLength: 12 }) }),
  );
  await fc.assert(
    fc.asyncProperty(mutation, fc.nat(3), async (m, which) => {
      const doc = structuredClone(goodModelJson) as {
        modelTopology: { config: { layers: { class_name: string }[] } };
        weightsManifest: { paths: string[]; weights: { name: string; shape: unknown; dtype: string }[] }[];
      } & Record<string, unknown>;
      const entry = doc.weightsManifest[0]!.weights[which % doc.weightsManifest[0]!.weights.length]!;
      switch (m.path) {
        case 'weightsManifest':
        case 'modelTopology':
          (doc as Record<string, unknown>)[m.path] = m.value;
          break;
        case 'paths':
          doc.weightsManifest[0]!.paths = [m.value as string];
          break;
        case 'shape':
          entry.shape = m.value;
          break;
        case 'dtype':
          entry.dtype = m.value as string;
          break;
        case 'name':
          entry.name = m.value as string;
          break;
        case 'className':
          doc.modelTopology.config.layers[which % doc.modelTopology.config.layers.length]!.class_name = m.value as string;
          break;
      }
      const r = await tryLoad({ 'model.json': JSON.stringify(doc), 'weights.bin': goodWeights });
      return ALLOWED.has(r) || (t.log(m, r), false);
    }),
    { numRuns: 150, seed: 2 },
  );
  t.pass();
});

test.serial('mutated and resized weight files: only typed errors; NaN/Inf named as NumericError or InputError', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }), { maxLength: 16 }),
      fc.integer({ min: -8, max: 8 }),
      async (edits, resize) => {
        const w = new Uint8Array(Math.max(0, goodWeights.length + resize));
        w.set(goodWeights.subarray(0, Math.min(w.length, goodWeights.length)));
        for (const e of edits) if (w.length > 0) w[e.at % w.length] = e.byte;
        const r = await tryLoad({ 'model.json': JSON.stringify(goodModelJson), 'weights.bin': w });
        if (resize !== 0 && r === 'ok') return false; // a wrong size must never load
        return ALLOWED.has(r) || (t.log(r), false);
      },
    ),
    { numRuns: 150, seed: 3 },
  );
  t.pass();
});

test.serial('.npy headers: random header text and mutated bytes give InputError or a consistent array, quickly', (t) => {
  const good = encodeNpy(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
  fc.assert(
    fc.property(fc.string({ maxLength: 120 }), fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }), { maxLength: 12 }), (header, edits) => {
      const variants: Uint8Array[] = [];
      // a syntactically framed header with random text inside
      const text = new TextEncoder().encode(header.padEnd(118, ' ') + '\n');
      const framed = new Uint8Array(10 + text.length + 24);
      framed.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, text.length & 255, text.length >> 8]);
      framed.set(text, 10);
      variants.push(framed);
      const mutated = good.slice();
      for (const e of edits) mutated[e.at % mutated.length] = e.byte;
      variants.push(mutated);
      for (const bytes of variants) {
        const t0 = performance.now();
        try {
          const a = decodeNpy(bytes, 'fuzz.npy');
          const size = a.shape.reduce((x, y) => x * y, 1);
          if (a.data.length !== size) return false;
        } catch (e) {
          if (!(e instanceof InputError) || e.message.includes('\n')) return (t.log(String(e)), false);
        }
        if (performance.now() - t0 > 200) return false; // no hang on a lying header
      }
      return true;
    }),
    { numRuns: 500, seed: 4 },
  );
  t.pass();
});

test('NumericError and InputError are the documented classes (exit codes 4 and 2)', (t) => {
  t.is(new NumericError('x').exitCode, 4);
  t.is(new InputError('x').exitCode, 2);
});
