import test from 'ava';
import { createInterruptRegistry } from '../../src/cli/interrupt.ts';

function registry() {
  const lines: string[] = [];
  const exits: number[] = [];
  const r = createInterruptRegistry({ write: (l) => lines.push(l), exit: (c) => exits.push(c) });
  return { r, lines, exits };
}

test('Ctrl-C prints where the partial results are, newest first, and exits 130', (t) => {
  const { r, lines, exits } = registry();
  r.onInterrupt(() => 'partial results: out/a.json (3 of 10 rays)');
  r.onInterrupt(() => undefined);
  r.onInterrupt(() => 'partial results: out/b.json');
  r.interrupt();
  t.deepEqual(lines, [
    'sharpness: interrupted',
    'sharpness: partial results: out/b.json',
    'sharpness: partial results: out/a.json (3 of 10 rays)',
  ]);
  t.deepEqual(exits, [130]);
});

test('a removed callback is not called; a throwing one does not stop the others', (t) => {
  const { r, lines, exits } = registry();
  const done = r.onInterrupt(() => 'never');
  done();
  r.onInterrupt(() => 'kept');
  r.onInterrupt(() => {
    throw new Error('disk full');
  });
  r.interrupt();
  t.deepEqual(lines, [
    'sharpness: interrupted',
    'sharpness: could not report partial results: disk full',
    'sharpness: kept',
  ]);
  t.deepEqual(exits, [130]);
});

test('a second Ctrl-C while reporting exits at once', (t) => {
  const { r, lines, exits } = registry();
  r.onInterrupt(() => {
    r.interrupt();
    return 'reported';
  });
  r.interrupt();
  t.deepEqual(exits, [130, 130]);
  t.is(lines[0], 'sharpness: interrupted');
});
