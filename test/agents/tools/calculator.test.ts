/** The calculator does arithmetic correctly and runs nothing that is not arithmetic. */
import { describe, expect, it } from 'vitest';
import { calculate, calculatorTool } from '#functions/agents/tools/calculator.tool.ts';
import { createToolRunner } from '#functions/agents/tools/tool.runner.ts';
import { call, context } from './tool-fixtures.ts';

const runner = createToolRunner([calculatorTool]);

describe('calculator', () => {
  it.each([
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['2 ** 3 ** 2', 512],
    ['-(2 + 3) * 4', -20],
    ['10 % 4', 2],
    ['7 / 2', 3.5],
    ['1e3 / 8', 125],
    ['sqrt(16) + abs(-2)', 6],
    ['round(2 / 3, 2)', 0.67],
    ['log(1000)', 3],
    ['log(8, 2)', 3],
    ['ln(e)', 1],
    ['max(3, 9, 4) - min(3, 9, 4)', 6],
    ['floor(pi * 100)', 314],
  ])('%s = %d', (expression, expected) => {
    expect(calculate(expression)).toBeCloseTo(expected, 12);
  });

  it.each([
    ['process.exit(1)', /not MemberExpression|unknown function/],
    ['constructor', /unknown name "constructor"/],
    ['toString(1)', /unknown function "toString"/],
    ['__proto__', /unknown name/],
    ['this', /not ThisExpression|unknown name/],
    ['"abc" + 1', /not a number/],
    ['true', /not a number/],
    ['x = 1', /does not parse|not/],
    ['[1, 2]', /not ArrayExpression/],
    ['1 ? 2 : 3', /not ConditionalExpression/],
    ['Math.PI', /not MemberExpression/],
    ['1 2', /not Compound/],
    ['2 ^ 3', /write powers as a \*\* b/],
    ['1 / 0', /not a finite number/],
    ['sqrt(1, 2)', /takes 1 argument/],
    ['(1 + 2', /does not parse/],
  ])('refuses %s', (expression, reason) => {
    expect(() => calculate(expression)).toThrow(reason);
  });

  it('answers the model through the runner, with errors it can read', async () => {
    expect(await runner.runToolCall(call('calculator', { expression: '6 * 7' }), context())).toMatchObject({
      ok: true,
      output: { expression: '6 * 7', result: 42 },
    });
    expect(await runner.runToolCall(call('calculator', { expression: 'require("fs")' }), context())).toMatchObject({
      ok: false,
      error: { type: 'invalid_arguments', message: expect.stringContaining('unknown function "require"') },
    });
  });
});
