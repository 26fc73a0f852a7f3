/**
 * One table per measure declares each option once: its name (with dashes, as typed), kind,
 * description, default (read from the library's defaults where the library has one) and
 * check. From the table come the yargs declarations and --help (applyOptions), the typed
 * argv (ArgsOf), the checks run before anything is loaded (checkOptions) and the defaults
 * other commands start from (defaultsOf, e.g. compare's steps).
 */
import type { Argv, Options, PositionalOptions } from 'yargs';
import { checkOption, type OptionCheck } from './checkOption.ts';

/** What yargs parses an option as. `raw`: no yargs type, the value reaches its check as typed. */
export type OptionKind = 'number' | 'string' | 'boolean' | 'raw';

export interface OptionSpec {
  kind: OptionKind;
  describe: string;
  /** The closed vocabulary (yargs `choices`); the value's type is its union. */
  choices?: readonly string[];
  default?: unknown;
  /**
   * The default the library applies when the option is absent (train's options: its
   * resolveTrainConfig), shown in --help as `[default: ...]` but not set by yargs: an absent
   * option stays absent from the parsed arguments and from the recorded options.
   */
  libraryDefault?: unknown;
  /** Another name of the option (`--lr-schedule` for `--schedule`). */
  alias?: string;
  /** The option must be given. */
  demand?: boolean;
  /** A positional argument of the command (`hessian <checkpoint>`). */
  positional?: boolean;
  /** A variadic positional or an option given several times. */
  array?: boolean;
  /** Only flags (booleans) may appear without a value; set false to allow `--x` alone. */
  requiresArg?: boolean;
  /** Left out of --help. */
  hidden?: boolean;
  /** The --help section (defaults to the table's group). */
  group?: string;
  /** The value's parser, run by yargs: its return type is the option's type. */
  coerce?: (value: unknown) => unknown;
  /** The check run by checkOptions before anything is loaded (see checkOption.ts). */
  check?: OptionCheck;
}

export type OptionTable = Readonly<Record<string, OptionSpec>>;

/** 'grid-points' -> 'gridPoints', as yargs camel-cases an option. */
export type CamelCase<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<CamelCase<T>>}` : S;

type ValueOf<S extends OptionSpec> = S extends { coerce: (v: unknown) => infer R }
  ? R
  : S extends { choices: readonly (infer C)[] }
    ? C
    : S extends { kind: 'number' }
      ? number
      : S extends { kind: 'string' }
        ? S extends { array: true }
          ? string[]
          : string
        : S extends { kind: 'boolean' }
          ? boolean
          : unknown;

type Present<S extends OptionSpec> = S extends { default: unknown } | { demand: true } ? ValueOf<S> : ValueOf<S> | undefined;

/** The parsed options of a table, as a handler reads them (camelCase keys). */
export type ArgsOf<T extends OptionTable> = { -readonly [K in keyof T & string as CamelCase<K>]: Present<T[K]> };

/** The defaults of a table, camelCase keys (what another command's step starts from). */
export type DefaultsOf<T extends OptionTable> = {
  -readonly [K in keyof T & string as T[K] extends { default: unknown } ? CamelCase<K> : never]: ValueOf<T[K]>;
};

export function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The yargs declaration of one entry. */
export function yargsOption(spec: OptionSpec): Options & PositionalOptions {
  const o: Options & PositionalOptions = { describe: spec.describe };
  if (spec.kind !== 'raw') o.type = spec.kind;
  if (spec.choices !== undefined) {
    o.choices = [...spec.choices];
    delete o.type;
  }
  if (spec.default !== undefined) o.default = spec.default;
  if (spec.libraryDefault !== undefined) o.defaultDescription = JSON.stringify(spec.libraryDefault);
  if (spec.alias !== undefined) o.alias = spec.alias;
  if (spec.demand) o.demandOption = true;
  if (spec.array) o.array = true;
  if (spec.coerce) o.coerce = spec.coerce;
  if (!spec.positional) {
    const requiresArg = spec.requiresArg ?? (spec.kind !== 'boolean' && spec.choices === undefined && spec.default === undefined);
    if (requiresArg) o.requiresArg = true;
    if (spec.hidden) o.hidden = true;
  }
  return o;
}

/**
 * Declares every entry of `table` on `y` (positionals first, then options grouped under
 * `group` unless an entry names its own) and returns `y` typed with the table's options.
 */
export function applyOptions<T, Tb extends OptionTable>(y: Argv<T>, table: Tb, group?: string): Argv<T & ArgsOf<Tb>>;
export function applyOptions(y: Argv<unknown>, table: OptionTable, group?: string): Argv<unknown> {
  const groups = new Map<string, string[]>();
  for (const [name, spec] of Object.entries(table)) {
    if (spec.positional) {
      y = y.positional(name, yargsOption(spec));
      continue;
    }
    y = y.option(name, yargsOption(spec));
    const g = spec.group ?? group;
    if (g !== undefined && !spec.hidden) groups.set(g, [...(groups.get(g) ?? []), name]);
  }
  for (const [g, names] of groups) y = y.group(names, g);
  return y;
}

/** The defaults of `table`, camelCase keys, in the table's order. */
export function defaultsOf<Tb extends OptionTable>(table: Tb): DefaultsOf<Tb>;
export function defaultsOf(table: OptionTable): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(table)) if (spec.default !== undefined) out[camelCase(name)] = spec.default;
  return out;
}

/**
 * Runs every entry's check on the parsed options (camelCase keys) that are given; `where` is
 * the command the user typed, which prefixes the message. Throws UsageError (exit 2).
 */
export function checkOptions(where: string, table: OptionTable, argv: object): void {
  const given = argv as Readonly<Record<string, unknown>>;
  for (const [name, spec] of Object.entries(table)) {
    const value = given[camelCase(name)];
    if (spec.check !== undefined && value !== undefined) checkOption(where, name, spec.check, value);
  }
}
