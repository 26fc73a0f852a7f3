/**
 * Learning-rate schedules typed as formulas (`--schedule "0.05 * 0.5 ^ floor(epoch / 3)"`),
 * parsed and evaluated by mathjs's expression parser (never JavaScript's eval). Variables:
 *   i      the iteration, from 1
 *   epoch  the epoch iteration i belongs to, from 1 (ceil(i / iters))
 *   frac   the fraction of the schedule's horizon done before iteration i, (i - 1) / total
 *   total  iterations in the schedule's horizon (the run; for swa / fge the iterations
 *          before the cyclic phase)
 *   iters  iterations per epoch
 *   lr     the --lr value
 * with mathjs's numeric functions (cos, exp, mod, floor, min, max, ...) and constants (pi,
 * e). Several statements separated by ';' may assign helper variables; the value of the last
 * one is the learning rate, e.g. SWA's cyclic rate
 *   t = (mod(i - 1, c) + 1) / c; (1 - t) * a1 + t * a2   (with numbers for a1, a2, c).
 * Only numbers, variables, operators, function calls, assignments to a name, conditionals
 * (a ? b : c) and ';' are allowed; unknown names and functions that reach outside the
 * expression (import, evaluate, parse, ...) are rejected when the formula is compiled, and a
 * value that is not a finite number >= 0 is an error naming the iteration.
 *
 * mathjs is loaded on the first formula (it takes seconds to load; runs with a named schedule
 * never pay for it).
 */
import { createRequire } from 'node:module';
import type { MathJsInstance, MathNode } from 'mathjs';
import { UsageError } from '../errors.ts';

/** The variables a formula may use. */
export const FORMULA_VARIABLES = ['i', 'epoch', 'frac', 'total', 'iters', 'lr'] as const;
export type FormulaVariable = (typeof FORMULA_VARIABLES)[number];
export type FormulaScope = Record<FormulaVariable, number>;

export interface LrFormula {
  /** The formula as typed. */
  readonly text: string;
  /** The learning rate for these values of the variables; UsageError when it is not a finite number >= 0. */
  at(scope: FormulaScope): number;
}

/** Functions a formula may not call: they parse, evaluate or change the parser itself. */
const DENIED_FUNCTIONS = new Set(['import', 'createUnit', 'evaluate', 'parse', 'compile', 'simplify', 'simplifyConstant', 'simplifyCore', 'derivative', 'resolve', 'rationalize', 'reviver', 'replacer', 'config', 'chain', 'help', 'typed', 'parser', 'print', 'format']);
const ALLOWED_NODES = new Set(['ConstantNode', 'SymbolNode', 'OperatorNode', 'ParenthesisNode', 'FunctionNode', 'AssignmentNode', 'ConditionalNode', 'BlockNode']);

let mathInstance: MathJsInstance | null = null;
function math(): MathJsInstance {
  if (!mathInstance) {
    const { create, all } = createRequire(import.meta.url)('mathjs') as typeof import('mathjs');
    mathInstance = create(all, { number: 'number' });
  }
  return mathInstance;
}

/** Whether a --schedule value is a formula rather than a schedule's name (anything but a bare identifier is). */
export function looksLikeFormula(s: string): boolean {
  return !/^[A-Za-z_][A-Za-z0-9_]*$/.test(s.trim());
}

const variableList = FORMULA_VARIABLES.join(', ');

/** Parses and checks a formula (UsageError naming `flag` and what is wrong); compiles it once. */
export function compileLrFormula(text: string, flag = '--schedule', where = 'train'): LrFormula {
  if (typeof text !== 'string' || text.trim() === '') throw new UsageError(`${where}: ${flag} must be a schedule name or a formula, got an empty string`);
  const m = math();
  let node: MathNode;
  try {
    node = m.parse(text);
  } catch (e) {
    throw new UsageError(`${where}: ${flag} formula ${JSON.stringify(text)} does not parse: ${(e as Error).message}`);
  }
  const assigned = new Set<string>();
  node.traverse((n) => {
    if (n.type === 'AssignmentNode') {
      const target = (n as unknown as { object: MathNode }).object;
      if (target.type !== 'SymbolNode') throw new UsageError(`${where}: ${flag} formula ${JSON.stringify(text)}: only names can be assigned`);
      assigned.add((target as unknown as { name: string }).name);
    }
  });
  node.traverse((n, path, parent) => {
    if (!ALLOWED_NODES.has(n.type)) throw new UsageError(`${where}: ${flag} formula ${JSON.stringify(text)}: ${n.type.replace(/Node$/, '').toLowerCase()} expressions are not allowed (${n.toString()})`);
    if (n.type === 'ConstantNode' && typeof (n as unknown as { value: unknown }).value !== 'number') {
      throw new UsageError(`${where}: ${flag} formula ${JSON.stringify(text)}: only numbers are allowed as constants, got ${n.toString()}`);
    }
    if (n.type !== 'SymbolNode') return;
    const name = (n as unknown as { name: string }).name;
    if (parent?.type === 'FunctionNode' && path === 'fn') {
      if (DENIED_FUNCTIONS.has(name) || typeof (m as unknown as Record<string, unknown>)[name] !== 'function') {
        throw new UsageError(`${where}: ${flag} formula ${JSON.stringify(text)}: unknown function ${name}() (mathjs's numeric functions, e.g. cos, exp, mod, floor, min, max)`);
      }
      return;
    }
    if (parent?.type === 'AssignmentNode' && path === 'object') return;
    const known = (FORMULA_VARIABLES as readonly string[]).includes(name) || assigned.has(name) || typeof (m as unknown as Record<string, unknown>)[name] === 'number';
    if (!known) {
      throw new UsageError(`${where}: ${flag} formula ${JSON.stringify(text)}: unknown symbol ${name} (the variables are ${variableList}; constants pi, e)`);
    }
  });
  const compiled = node.compile();
  return {
    text,
    at(scope) {
      let value: unknown;
      try {
        value = compiled.evaluate(new Map(Object.entries(scope)));
      } catch (e) {
        throw new UsageError(`${where}: ${flag} formula ${JSON.stringify(text)} fails at iteration ${scope.i} (epoch ${scope.epoch}): ${(e as Error).message}`);
      }
      if (value && typeof value === 'object' && Array.isArray((value as { entries?: unknown }).entries)) {
        const entries = (value as { entries: unknown[] }).entries;
        value = entries[entries.length - 1];
      }
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        const shown = typeof value === 'number' ? String(value) : value === undefined ? 'nothing' : String(value);
        throw new UsageError(`${where}: ${flag} formula ${JSON.stringify(text)} gives ${shown} at iteration ${scope.i} (epoch ${scope.epoch}); a learning rate must be a finite number >= 0`);
      }
      return value;
    },
  };
}
