/** With no model provider configured, the model routes answer 503 problems; what the compiler alone can do still works. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { problemOf } from '../support/problem.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/** The problem's detail, after checking it is a problem+json without a stack trace. */
const detailOf = (res: Parameters<typeof problemOf>[0]): string => {
  problemOf(res);
  return res.body.detail;
};

let rt: TestRuntime;
let developer: string;
beforeAll(async () => {
  rt = await startTestRuntime({ env: { OPENAI_API_KEY: 'unset', ANTHROPIC_API_KEY: 'unset', OPENAI_BASE_URL: '', ANTHROPIC_BASE_URL: '' } });
  developer = await rt.mintJwt({ sub: 'user-dev', roles: ['developer'] });
});
afterAll(async () => {
  delete process.env.IDE_DEFAULT_MODEL;
  await rt?.stop();
});

const post = (route: string, body: unknown) =>
  rt.fetchJson(`/v1/ide/${route}`, { method: 'POST', headers: { authorization: `Bearer ${developer}` }, json: body });
const files = [{ path: 'a.ts', content: 'const point = { alpha: 1 };\npoint.\n' }];

it('answers 503 naming the missing provider on the model routes', async () => {
  const inline = await post('inline', { language: 'typescript', files, target: 'a.ts', position: { line: 1, character: 6 } });
  expect(inline.status).toBe(503);
  expect(problemOf(inline)).toMatchObject({ title: 'Service unavailable', detail: expect.stringMatching(/^No openai model provider is configured/) });
  const explain = await post('explain', {
    language: 'typescript',
    files,
    target: 'a.ts',
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 5 } },
    model: { provider: 'anthropic', name: 'claude-x' },
  });
  expect(explain.status).toBe(503);
  expect(detailOf(explain)).toMatch(/^No anthropic model provider is configured/);
  const fix = await post('fix', {
    language: 'typescript',
    files: [{ path: 'b.ts', content: 'const n: number = "1";\nexport { n };\n' }],
    target: 'b.ts',
  });
  expect(fix.status).toBe(503);
});

it("still gives the compiler's completions and fixes", async () => {
  const complete = await post('complete', { language: 'typescript', files, target: 'a.ts', position: { line: 1, character: 6 } });
  expect(complete.status).toBe(200);
  expect(complete.body).toMatchObject({ items: [{ label: 'alpha', source: 'compiler' }], model: { status: 'not-configured' } });
  const fix = await post('fix', {
    language: 'typescript',
    files: [
      { path: 'main.ts', content: 'export const t = sum(1, 2);\n' },
      { path: 'math.ts', content: 'export const sum = (a: number, b: number) => a + b;\n' },
    ],
    target: 'main.ts',
  });
  expect(fix.status).toBe(200);
  expect(fix.body).toMatchObject({ model: null, unfixed: [] });
  expect(fix.body.fixes[0]).toMatchObject({ source: 'compiler', title: 'Add import from "./math"' });
});

it('says when the deployment default model setting is malformed', async () => {
  process.env.IDE_DEFAULT_MODEL = 'gpt-4o';
  const res = await post('inline', { language: 'typescript', files, target: 'a.ts', position: { line: 1, character: 6 } });
  expect(res.status).toBe(503);
  expect(detailOf(res)).toMatch(/ideDefaultModel setting is not of the form provider:model/);
  process.env.IDE_DEFAULT_MODEL = 'anthropic:claude-default';
  const named = await post('inline', { language: 'typescript', files, target: 'a.ts', position: { line: 1, character: 6 } });
  expect(detailOf(named)).toMatch(/^No anthropic model provider is configured/);
});
