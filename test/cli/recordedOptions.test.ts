/**
 * The options every command records in its result document are what main recorded for the
 * same command line (test/cli/fixtures/recorded-options.json, made from main before the
 * option tables), but for the defaults unified on purpose, listed in README's Changelog.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { RECORDED_LINES, recordedOptionsOf } from '../helpers/recordedOptionsOf.ts';

const fixture = JSON.parse(readFileSync(new URL('./fixtures/recorded-options.json', import.meta.url), 'utf8')) as {
  args: string[];
  recorded: Record<string, unknown>;
}[];

/** Defaults unified with the library's (README, Changelog): command -> option -> [main, now]. */
const UNIFIED: Record<string, Record<string, [unknown, unknown]>> = {
  hessian: { gridPoints: [1000, 10000] },
};

test('the fixture covers every line checked', (t) => {
  t.deepEqual(
    fixture.map((f) => f.args),
    RECORDED_LINES.map((l) => [...l]),
  );
});

for (const { args, recorded } of fixture) {
  test(`recorded options of: sharpness ${args.join(' ')}`, async (t) => {
    const now = await recordedOptionsOf('.', args);
    const expected: Record<string, unknown> = { ...recorded };
    const given = new Set(args.filter((a) => a.startsWith('--')).map((a) => a.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())));
    for (const [key, [before, after]] of Object.entries(UNIFIED[args[0]!] ?? {})) {
      if (given.has(key)) continue; // given on the line: recorded as given
      t.is(expected[key], before, `main recorded ${key} = ${String(before)}`);
      expected[key] = after;
    }
    // Same keys in the same (sorted) order and the same values: the same bytes.
    t.is(JSON.stringify(now), JSON.stringify(expected));
  });
}
