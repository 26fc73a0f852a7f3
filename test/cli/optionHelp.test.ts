/**
 * `sharpness <command> --help` of every command lists exactly the options of its tables
 * (src/cli/options/optionTables.ts) and the global ones, each default as the table has it
 * (a yargs default or the library's, train's), positionals included. The help is what the
 * parser main.ts builds prints (in process; test/cli/main.test.ts runs the binary).
 */
import test from 'ava';
import { buildCli, COMMANDS } from '../../src/cli/main.ts';
import { OPTION_TABLES } from '../../src/cli/options/optionTables.ts';
import { GLOBAL_OPTIONS } from '../../src/cli/globalOptions.ts';
import type { OptionTable } from '../../src/cli/options/OptionTable.ts';

const GLOBAL = [...Object.keys(GLOBAL_OPTIONS), 'help', 'version'];

function helpOf(command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    buildCli([command, '--help']).parse([command, '--help'], {}, (err, _argv, output) => (err ? reject(err) : resolve(output)));
  });
}

/** How --help shows an option: `--name`, or `-n` for a one-letter name. */
const flag = (name: string) => (name.length === 1 ? `-${name}` : `--${name}`);

/** The option's paragraph in `help`: its line and the lines up to the next option or section. */
function paragraphOf(help: string, name: string): string {
  const at = help.search(new RegExp(`^\\s+${flag(name)}\\b`, 'm'));
  if (at === -1) return '';
  const rest = help.slice(help.indexOf('\n', at) + 1);
  const next = rest.search(/^\s+--?[a-z]|^\S|^$/m);
  const line = help.slice(at, help.indexOf('\n', at));
  return `${line} ${rest.slice(0, next === -1 ? undefined : next)}`.replace(/\s+/g, ' ');
}

/** The assertions checkHelp makes (ava's, or a probe that records failures). */
interface Asserts {
  true(a: boolean, m?: string): void;
  false(a: boolean, m?: string): void;
  regex(s: string, r: RegExp, m?: string): void;
  deepEqual(a: unknown, b: unknown, m?: string): void;
}

function checkHelp(t: Asserts, command: string, help: string, tables: readonly OptionTable[]): void {
  const listed = new Set([...help.matchAll(/^\s+(?:-(\w)\s|(?:-\w, )?--([a-z][a-z0-9-]*)\b)/gm)].map((m) => m[1] ?? m[2]!));
  const expected = new Set(GLOBAL);
  for (const table of [...tables, GLOBAL_OPTIONS as OptionTable]) {
    for (const [name, spec] of Object.entries(table)) {
      if (spec.positional) {
        t.regex(help, new RegExp(`^\\s+${name}\\s`, 'm'), `${command}: positional ${name}`);
        continue;
      }
      if (spec.hidden) {
        t.false(listed.has(name), `${command} --${name} is hidden`);
        continue;
      }
      expected.add(name);
      const paragraph = paragraphOf(help, name);
      t.true(paragraph.includes(spec.describe.replace(/\s+/g, ' ').slice(0, 30)), `${command} --${name}: its description: ${paragraph}`);
      const shown = spec.default ?? spec.libraryDefault;
      if (shown !== undefined) t.true(paragraph.includes(`[default: ${JSON.stringify(shown)}]`), `${command} --${name}: ${paragraph}`);
      else t.false(paragraph.includes('[default:'), `${command} --${name} has no default: ${paragraph}`);
      if (spec.alias !== undefined) t.true(paragraph.includes(`--${spec.alias}`), `${command} --${name} alias --${spec.alias}`);
    }
  }
  t.deepEqual([...listed].sort(), [...expected].sort(), command);
}

test('every command has its option tables', (t) => {
  t.deepEqual(
    COMMANDS.map((c) => String(c.command).split(' ')[0]).sort(),
    Object.keys(OPTION_TABLES).sort(),
  );
});

for (const [command, tables] of Object.entries(OPTION_TABLES)) {
  test(`${command} --help is generated from its option tables`, async (t) => {
    checkHelp(t, command, await helpOf(command), tables);
  });
}

test('the check finds an option the tables do not have, and a wrong default', (t) => {
  const help = ['Options:', '      --alpha  first  [number] [default: 2]', '      --beta   second', '  -p           third  [default: 3]', ''].join('\n');
  const failed: string[] = [];
  const probe: Asserts = {
    true: (a, m) => void (a || failed.push(m ?? '')),
    false: (a, m) => void (!a || failed.push(m ?? '')),
    regex: () => {},
    deepEqual: (a, b, m) => void (JSON.stringify(a) === JSON.stringify(b) || failed.push(`listed: ${m}`)),
  };
  const ours = (f: string) => /x (--alpha|--beta|--p)\b/.test(f);
  checkHelp(probe, 'x', help, [{ alpha: { kind: 'number', describe: 'first', default: 2 }, beta: { kind: 'number', describe: 'second' }, p: { kind: 'raw', describe: 'third', libraryDefault: 3 } }]);
  t.deepEqual(failed.filter(ours), []);
  t.true(failed.includes('listed: x'), 'the global options are missing from this help');
  failed.length = 0;
  checkHelp(probe, 'x', help, [{ alpha: { kind: 'number', describe: 'first', default: 5 }, p: { kind: 'raw', describe: 'third' } }]);
  t.deepEqual(failed.filter(ours), ['x --alpha:  --alpha first [number] [default: 2] ', 'x --p has no default:  -p third [default: 3] ']);
});
