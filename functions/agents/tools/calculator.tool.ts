/**
 * `calculator`: arithmetic the model should not do in its head. jsep parses the expression into a syntax
 * tree; this file evaluates only the node kinds arithmetic needs (numbers, + - * / % **, unary minus,
 * parentheses, a fixed set of Math functions and constants) and rejects everything else, so no text the
 * model sends is ever run as code.
 */
import jsep from 'jsep';
import * as z from 'zod';
import { ToolInputError } from './tool.errors.ts';
import { defineTool } from './tool.types.ts';

const constants: Record<string, number> = { pi: Math.PI, PI: Math.PI, e: Math.E, E: Math.E, tau: 2 * Math.PI };

const functions: Record<string, { arity: [number, number]; fn: (...args: number[]) => number }> = {
  abs: { arity: [1, 1], fn: Math.abs },
  sqrt: { arity: [1, 1], fn: Math.sqrt },
  cbrt: { arity: [1, 1], fn: Math.cbrt },
  exp: { arity: [1, 1], fn: Math.exp },
  ln: { arity: [1, 1], fn: Math.log },
  log: { arity: [1, 2], fn: (x, base) => (base === undefined ? Math.log10(x) : Math.log(x) / Math.log(base)) },
  log2: { arity: [1, 1], fn: Math.log2 },
  log10: { arity: [1, 1], fn: Math.log10 },
  sin: { arity: [1, 1], fn: Math.sin },
  cos: { arity: [1, 1], fn: Math.cos },
  tan: { arity: [1, 1], fn: Math.tan },
  asin: { arity: [1, 1], fn: Math.asin },
  acos: { arity: [1, 1], fn: Math.acos },
  atan: { arity: [1, 1], fn: Math.atan },
  atan2: { arity: [2, 2], fn: Math.atan2 },
  floor: { arity: [1, 1], fn: Math.floor },
  ceil: { arity: [1, 1], fn: Math.ceil },
  trunc: { arity: [1, 1], fn: Math.trunc },
  sign: { arity: [1, 1], fn: Math.sign },
  round: {
    arity: [1, 2],
    fn: (x, digits = 0) => {
      const factor = 10 ** digits;
      return Math.round(x * factor) / factor;
    },
  },
  pow: { arity: [2, 2], fn: Math.pow },
  min: { arity: [1, 100], fn: Math.min },
  max: { arity: [1, 100], fn: Math.max },
  hypot: { arity: [1, 100], fn: Math.hypot },
};

const binary: Record<string, (a: number, b: number) => number> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
  '%': (a, b) => a % b,
  '**': (a, b) => a ** b,
};

const unary: Record<string, (a: number) => number> = { '-': (a) => -a, '+': (a) => a };

// Own properties only: a plain lookup would find `constructor`, `toString` and the rest of Object.prototype.
const own = <T>(table: Record<string, T>, key: string): T | undefined => (Object.hasOwn(table, key) ? table[key] : undefined);

const evaluate = (node: jsep.Expression): number => {
  switch (node.type) {
    case 'Literal': {
      const { value, raw } = node as jsep.Literal;
      if (typeof value !== 'number') throw new ToolInputError(`${raw} is not a number`);
      return value;
    }
    case 'Identifier': {
      const { name } = node as jsep.Identifier;
      const value = own(constants, name);
      if (value === undefined) throw new ToolInputError(`unknown name "${name}" (constants: ${Object.keys(constants).join(', ')})`);
      return value;
    }
    case 'UnaryExpression': {
      const { operator, argument } = node as jsep.UnaryExpression;
      const op = own(unary, operator);
      if (!op) throw new ToolInputError(`operator "${operator}" is not supported`);
      return op(evaluate(argument));
    }
    case 'BinaryExpression': {
      const { operator, left, right } = node as jsep.BinaryExpression;
      const op = own(binary, operator);
      if (!op) {
        const hint = operator === '^' ? ' (write powers as a ** b)' : '';
        throw new ToolInputError(`operator "${operator}" is not supported${hint}`);
      }
      return op(evaluate(left), evaluate(right));
    }
    case 'CallExpression': {
      const { callee, arguments: args } = node as jsep.CallExpression;
      const name = callee.type === 'Identifier' ? (callee as jsep.Identifier).name : undefined;
      const entry = name === undefined ? undefined : own(functions, name);
      if (!entry) throw new ToolInputError(`unknown function${name ? ` "${name}"` : ''} (functions: ${Object.keys(functions).join(', ')})`);
      const [least, most] = entry.arity;
      if (args.length < least || args.length > most) {
        throw new ToolInputError(`${name} takes ${least === most ? least : `${least} to ${most}`} argument(s), got ${args.length}`);
      }
      return entry.fn(...args.map(evaluate));
    }
    default:
      throw new ToolInputError(`only arithmetic is supported, not ${node.type}`);
  }
};

/** Evaluates an arithmetic expression; throws `ToolInputError` for anything else. */
export const calculate = (expression: string): number => {
  let tree: jsep.Expression;
  try {
    tree = jsep(expression);
  } catch (error) {
    throw new ToolInputError(`the expression does not parse: ${(error as Error).message}`);
  }
  const result = evaluate(tree);
  if (!Number.isFinite(result)) throw new ToolInputError(`the result is not a finite number (${result})`);
  return result;
};

export const calculatorTool = defineTool({
  name: 'calculator',
  description:
    'Evaluates an arithmetic expression exactly as a calculator would and returns the number. Supports + - * / % ' +
    `** (power), parentheses, the constants ${Object.keys(constants).join(', ')} and the functions ` +
    `${Object.keys(functions).join(', ')} (log(x) is base 10, ln(x) natural, round(x, digits)).`,
  input: z.object({
    expression: z.string().min(1).max(1000).describe('The expression, e.g. "(2 + 3) * sqrt(16) / 4".'),
  }),
  run: async ({ expression }) => ({ expression, result: calculate(expression) }),
});
