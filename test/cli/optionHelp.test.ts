/**
 * `sharpness <command> --help` of every converted command lists exactly the options of its
 * tables (src/cli/options/optionTables.ts) and the global ones, each default as the table has it.
 */
import test from 'ava';
import { sharpness } from '../helpers/cli.ts';
import { OPTION_TABLES } from '../../src/cli/options/optionTables.ts';
import { globalOptionDefinitions } from '../../src/cli/globalOptions.ts';

const GLOBAL = [...Object.keys(globalOptionDefinitions), 'help', 'version'];

for (const [command, tables] of Object.entries(OPTION_TABLES)) {
  test(`${command} --help is generated from its option tables`, async (t) => {
    const r = await sharpness([command, '--help']);
    t.is(r.status, 0, r.stderr);
    const listed = new Set([...r.stdout.matchAll(/^\s+(?:-\w, )?--([a-z][a-z0-9-]*)\b/gm)].map((m) => m[1]!));
    const expected = new Set(GLOBAL);
    for (const table of tables) {
      for (const [name, spec] of Object.entries(table)) {
        if (spec.positional) {
          t.regex(r.stdout, new RegExp(`^\\s+${name}\\s`, 'm'), `positional ${name}`);
          continue;
        }
        if (spec.hidden) continue;
        expected.add(name);
        // The option's paragraph (up to the next option) shows the table's default.
        const at = r.stdout.search(new RegExp(`^\\s+--${name}\\b`, 'm'));
        const rest = r.stdout.slice(r.stdout.indexOf('\n', at) + 1);
        const next = rest.search(/^\s+--[a-z]|^\S/m);
        const line = r.stdout.slice(at, r.stdout.indexOf('\n', at));
        const paragraph = `${line} ${rest.slice(0, next === -1 ? undefined : next)}`.replace(/\s+/g, ' ');
        if (spec.default !== undefined) t.true(paragraph.includes(`[default: ${JSON.stringify(spec.default)}]`), `${command} --${name}: ${paragraph}`);
        else t.false(paragraph.includes('[default:'), `${command} --${name} has no default: ${paragraph}`);
      }
    }
    t.deepEqual([...listed].sort(), [...expected].sort());
  });
}
