/**
 * The model-backed IDE routes through the local runtime, with the scripted model server behind the real
 * OpenAI and Anthropic SDKs: the compiler's own fixes first, model edits re-analyzed and dropped when they
 * add errors (or are garbage), completion items marked by source, inline text cleaned, generate/refactor
 * checked, tokens counted per tenant and model, roles, and bad input on every route.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auth, createTenant, startHarness, type Harness } from '../agents/executions/execution-fixtures.ts';
import { errorPaths, problemOf } from '../support/problem.ts';

/** The problem's detail, after checking it is a problem+json without a stack trace. */
const detailOf = (res: Parameters<typeof problemOf>[0]): string => {
  problemOf(res);
  return res.body.detail;
};

let h: Harness;
let developer: string;
let viewer: string;
let other: string;

beforeAll(async () => {
  h = await startHarness();
  developer = await h.rt.mintJwt({ sub: 'user-dev', roles: ['developer'] });
  viewer = await h.rt.mintJwt({ sub: 'user-viewer', roles: ['viewer'] });
  other = await h.rt.mintJwt({ sub: 'user-other', tenantId: await createTenant(h), roles: ['admin'] });
});
afterAll(() => h?.stop());
// A test that fails half way must not leave its scripted answers to the next one.
beforeEach(() => h.models.reset());

const post = (route: string, body: unknown, token = developer) =>
  h.rt.fetchJson(`/v1/ide/${route}`, { method: 'POST', headers: auth(token), json: body });
const ok = async (route: string, body: unknown, token = developer) => {
  const res = await post(route, body, token);
  expect(res.status, res.text).toBe(200);
  return res.body;
};
const at = (line: number, from: number, to: number) => ({ start: { line, character: from }, end: { line, character: to } });
const edits = (list: Array<{ path: string; find: string; replace: string }>, explanation = 'done') => JSON.stringify({ edits: list, explanation });
/** The user message of the n-th model request from the end. */
const prompt = (fromEnd = 1): string => h.models.requests.at(-fromEnd)!.body.messages.at(-1).content;
/** Applies a WorkspaceEdit's changes to the files (no overlapping edits; sorted back to front). */
const apply = (files: Array<{ path: string; content: string }>, edit: any) =>
  files.map((f) => {
    const lines = f.content.split('\n');
    const offset = (p: { line: number; character: number }) => lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
    let text = f.content;
    for (const e of [...(edit.changes[f.path] ?? [])].sort((a: any, b: any) => offset(b.range.start) - offset(a.range.start))) {
      text = text.slice(0, offset(e.range.start)) + e.newText + text.slice(offset(e.range.end));
    }
    return { ...f, content: text };
  });

describe('POST /v1/ide/fix', () => {
  it("offers the compiler's own fix for a missing import, without asking the model", async () => {
    const files = [
      { path: 'src/main.ts', content: 'export const total = sum(1, 2);\n' },
      { path: 'src/math.ts', content: 'export function sum(a: number, b: number): number {\n  return a + b;\n}\n' },
    ];
    const before = h.models.requests.length;
    const body = await ok('fix', { language: 'typescript', files, target: 'src/main.ts' });
    expect(h.models.requests.length).toBe(before);
    expect(body.diagnostics).toEqual([expect.objectContaining({ code: 2304, range: at(0, 21, 24), message: "Cannot find name 'sum'." })]);
    expect(body.fixes[0]).toEqual({
      title: 'Add import from "./math"',
      source: 'compiler',
      edit: { changes: { 'src/main.ts': [{ range: at(0, 0, 0), newText: 'import { sum } from "./math";\n\n' }] } },
      fixes: [body.diagnostics[0]],
    });
    expect(body).toMatchObject({ unfixed: [], rejected: [], model: null, analyzer: { name: 'typescript' } });
    // Applied, the file analyzes clean.
    const after = await ok('analyze', { language: 'typescript', files: apply(files, body.fixes[0].edit), target: 'src/main.ts' });
    expect(after.diagnostics).toEqual([]);
  });

  it('drops a model edit that adds errors, and keeps one that fixes the diagnostic', async () => {
    const files = [{ path: 'a.ts', content: 'const answer: number = "42";\nexport { answer };\n' }];
    h.models.script([{ text: edits([{ path: 'a.ts', find: '"42"', replace: 'fortyTwo' }]), usage: { inputTokens: 120, outputTokens: 30 } }]);
    const bad = await ok('fix', { language: 'typescript', files, target: 'a.ts' });
    expect(prompt()).toContain("a.ts:1:7 error 2322: Type 'string' is not assignable to type 'number'.");
    expect(bad.fixes).toEqual([]);
    expect(bad.rejected).toEqual([
      {
        source: 'model',
        reason: "The model's edit adds 1 error(s); it was dropped",
        introduced: [expect.objectContaining({ code: 2304, message: "Cannot find name 'fortyTwo'." })],
      },
    ]);
    expect(bad.unfixed).toHaveLength(1);
    expect(bad.model).toMatchObject({ provider: 'openai', name: 'gpt-4o-mini', status: 'ok', usage: { inputTokens: 120, outputTokens: 30 } });

    h.models.script([
      {
        text: `Here you go:\n\`\`\`json\n${edits([{ path: 'a.ts', find: 'answer: number = "42"', replace: 'answer: number = 42' }], 'Use a number')}\n\`\`\``,
      },
    ]);
    const good = await ok('fix', { language: 'typescript', files, target: 'a.ts' });
    expect(good.rejected).toEqual([]);
    expect(good.fixes).toEqual([
      {
        title: 'Use a number',
        source: 'model',
        edit: { changes: { 'a.ts': [{ range: at(0, 6, 27), newText: 'answer: number = 42' }] } },
        fixes: good.diagnostics,
      },
    ]);
    expect(good.unfixed).toEqual([]);
  });

  it('refuses garbage, a "find" that is not in the file, and an edit that fixes nothing; never applies them', async () => {
    const files = [{ path: 'a.ts', content: 'const n: number = "1";\nexport { n };\n' }];
    const cases: Array<[string, RegExp]> = [
      ['Sure! Just change the string to a number.', /did not answer with a JSON object/],
      [JSON.stringify({ edits: [{ path: 'a.ts', replace: 'x' }] }), /do not have the asked-for shape/],
      [edits([{ path: 'a.ts', find: 'not there', replace: 'x' }]), /"find" text is not in a\.ts/],
      [edits([{ path: 'a.ts', find: 'n', replace: 'm' }]), /occurs more than once/],
      [edits([{ path: 'other.ts', find: 'x', replace: 'y' }]), /not among the request's files/],
      [edits([{ path: 'a.ts', find: 'export { n };', replace: 'export { n as m };' }]), /fixes none of the diagnostics/],
    ];
    for (const [answer, reason] of cases) {
      h.models.script([{ text: answer }]);
      const body = await ok('fix', { language: 'typescript', files, target: 'a.ts' });
      expect(body.fixes, answer).toEqual([]);
      expect(body.rejected[0].reason).toMatch(reason);
      expect(body.unfixed).toHaveLength(1);
    }
  });

  it('checks Python edits with pyright, fixes only the diagnostics asked for, and skips the model when told to', async () => {
    const files = [{ path: 'app.py', content: 'count: int = "3"\nname: str = 4\n' }];
    const all = await ok('analyze', { language: 'python', files });
    expect(all.diagnostics).toHaveLength(2);
    h.models.script([{ text: edits([{ path: 'app.py', find: 'name: str = 4', replace: 'name: str = "4"' }]) }]);
    const body = await ok('fix', { language: 'python', files, target: 'app.py', diagnostics: [{ range: all.diagnostics[1].range }] });
    expect(body.diagnostics).toEqual([all.diagnostics[1]]);
    expect(body.fixes).toMatchObject([{ source: 'model', fixes: [all.diagnostics[1]] }]);
    expect(prompt()).toContain('app.py:2:13 error reportAssignmentType');
    expect(prompt()).not.toContain('app.py:1:');
    const before = h.models.requests.length;
    const noModel = await ok('fix', { language: 'python', files, target: 'app.py', useModel: false });
    expect(h.models.requests.length).toBe(before);
    expect(noModel).toMatchObject({ fixes: [], model: null, unfixed: all.diagnostics });
  });
});

describe('POST /v1/ide/complete and /v1/ide/inline', () => {
  const files = [{ path: 'a.ts', content: 'const point = { alpha: 1, beta: 2 };\npoint.\n' }];

  it("merges the compiler's items with the model's, each marked with its source", async () => {
    h.models.script([{ text: '["alpha.toFixed(2)", "beta"]' }]);
    const body = await ok('complete', { language: 'typescript', files, target: 'a.ts', position: { line: 1, character: 6 } });
    expect(body.items.filter((i: any) => i.source === 'compiler').map((i: any) => i.label)).toEqual(['alpha', 'beta']);
    // "beta" is the compiler's already; the model's other suggestion comes first.
    expect(body.items[0]).toMatchObject({ label: 'alpha.toFixed(2)', insertText: 'alpha.toFixed(2)', source: 'model' });
    expect(body.items).toHaveLength(3);
    expect(body).toMatchObject({ isIncomplete: false, analyzer: { name: 'typescript', version: '6.0.3' }, model: { status: 'ok' } });
    expect(prompt()).toContain('point.<CURSOR>');

    const before = h.models.requests.length;
    const compilerOnly = await ok('complete', {
      language: 'typescript',
      files,
      target: 'a.ts',
      position: { line: 1, character: 6 },
      useModel: false,
    });
    expect(h.models.requests.length).toBe(before);
    expect(compilerOnly).toMatchObject({ model: null, items: [{ label: 'alpha' }, { label: 'beta' }] });
  });

  it("keeps the compiler's items when the model answers garbage or fails, and completes Python with pyright", async () => {
    h.models.script([{ text: 'alpha, I guess' }]);
    const garbage = await ok('complete', { language: 'typescript', files, target: 'a.ts', position: { line: 1, character: 6 } });
    expect(garbage.model).toMatchObject({ status: 'failed', detail: 'The model answered something that is not a list of completions' });
    expect(garbage.items.map((i: any) => i.label)).toEqual(['alpha', 'beta']);
    h.models.script([{ status: 500 }]);
    const failed = await ok('complete', { language: 'typescript', files, target: 'a.ts', position: { line: 1, character: 6 } });
    expect(failed.model.status).toBe('failed');
    const py = await ok('complete', {
      language: 'python',
      files: [{ path: 'a.py', content: 'import os\nos.pa' }],
      target: 'a.py',
      position: { line: 1, character: 5 },
      useModel: false,
    });
    expect(py.analyzer.name).toBe('pyright');
    expect(py.items.map((i: any) => i.label)).toEqual(expect.arrayContaining(['path', 'pardir']));
  });

  it('answers inline text for the rest of the line, cleaned of fences and of what is already typed', async () => {
    const code = [{ path: 'sum.ts', content: 'export function sum(a: number, b: number) {\n  return \n}\n' }];
    h.models.script([{ text: '```ts\n  return a + b;\n```' }]);
    const body = await ok('inline', { language: 'typescript', files: code, target: 'sum.ts', position: { line: 1, character: 9 } });
    expect(body).toMatchObject({ text: 'a + b;', range: at(1, 9, 9), model: { provider: 'openai', name: 'gpt-4o-mini', status: 'ok' } });
    expect(prompt()).toContain('  return <CURSOR>\n}');
  });

  it('uses the model the request names (Anthropic here)', async () => {
    h.models.script([{ text: 'a + b;' }]);
    const body = await ok('inline', {
      language: 'typescript',
      files: [{ path: 'sum.ts', content: 'const s = \n' }],
      target: 'sum.ts',
      position: { line: 0, character: 10 },
      model: { provider: 'anthropic', name: 'claude-scripted' },
    });
    expect(body.model).toMatchObject({ provider: 'anthropic', name: 'claude-scripted' });
    expect(h.models.requests.at(-1)).toMatchObject({ provider: 'anthropic', body: { model: 'claude-scripted' } });
  });
});

describe('POST /v1/ide/generate, /v1/ide/refactor and /v1/ide/explain', () => {
  it('generates a new file and code at a position, with the errors of the result', async () => {
    h.models.script([{ text: '```ts\nexport const double = (n: number): number => n * 2;\n```' }]);
    const created = await ok('generate', {
      language: 'typescript',
      files: [{ path: 'main.ts', content: 'export {};\n' }],
      target: 'util.ts',
      instruction: 'a double function',
    });
    expect(created).toMatchObject({
      edit: { changes: { 'util.ts': [{ range: at(0, 0, 0), newText: 'export const double = (n: number): number => n * 2;\n' }] } },
      before: [],
      after: [],
      rejected: [],
    });
    h.models.script([{ text: 'const z: number = "nope";' }]);
    const inserted = await ok('generate', {
      language: 'typescript',
      files: [{ path: 'main.ts', content: 'export {};\n' }],
      target: 'main.ts',
      position: { line: 1, character: 0 },
      instruction: 'a constant',
    });
    // Generated code that adds an error is dropped like any other model edit.
    expect(inserted).toMatchObject({ edit: null, rejected: [{ source: 'model', introduced: [expect.objectContaining({ code: 2322 })] }] });
    h.models.script([{ text: 'const z = "fine";' }]);
    const fine = await ok('generate', {
      language: 'typescript',
      files: [{ path: 'main.ts', content: 'export {};\n' }],
      target: 'main.ts',
      position: { line: 1, character: 0 },
      instruction: 'a constant',
    });
    expect(fine.edit.changes['main.ts']).toEqual([{ range: at(1, 0, 0), newText: 'const z = "fine";' }]);
  });

  it('keeps a refactor that analyzes no worse than the input, and drops one that is worse', async () => {
    const files = [{ path: 'a.ts', content: 'export function area(w: number, h: number) {\n  const x = w * h;\n  return x;\n}\n' }];
    const range = { start: { line: 1, character: 0 }, end: { line: 2, character: 11 } };
    h.models.script([{ text: '```ts\n  return w * h;\n```' }]);
    const good = await ok('refactor', { language: 'typescript', files, target: 'a.ts', range, instruction: 'inline x' });
    expect(good).toMatchObject({ edit: { changes: { 'a.ts': [{ range, newText: '  return w * h;' }] } }, before: [], after: [], rejected: [] });
    expect(prompt()).toContain('inline x');
    h.models.script([{ text: '```ts\n  return w * height;\n```' }]);
    const worse = await ok('refactor', { language: 'typescript', files, target: 'a.ts', range, instruction: 'rename h' });
    expect(worse.edit).toBeNull();
    expect(worse.rejected).toEqual([
      {
        source: 'model',
        reason: "The model's edit adds 1 error(s); it was dropped",
        introduced: [expect.objectContaining({ code: 2304, message: "Cannot find name 'height'." })],
      },
    ]);
  });

  it('explains a range', async () => {
    h.models.script([{ text: '  It multiplies width by height.  ' }]);
    const body = await ok('explain', {
      language: 'typescript',
      files: [{ path: 'a.ts', content: 'const a = (w: number, h: number) => w * h;\n' }],
      target: 'a.ts',
      range: at(0, 0, 41),
      question: 'What does this do?',
    });
    expect(body).toMatchObject({ text: 'It multiplies width by height.', model: { status: 'ok' } });
    expect(prompt()).toContain('What does this do?');
  });
});

describe('roles, tenants and usage', () => {
  it('lets a viewer analyze and read usage, but not spend model tokens', async () => {
    const files = [{ path: 'a.ts', content: 'export {};\n' }];
    expect((await post('analyze', { language: 'typescript', files }, viewer)).status).toBe(200);
    const bodies: Record<string, unknown> = {
      complete: { language: 'typescript', files, target: 'a.ts', position: { line: 0, character: 0 } },
      inline: { language: 'typescript', files, target: 'a.ts', position: { line: 0, character: 0 } },
      fix: { language: 'typescript', files, target: 'a.ts' },
      generate: { language: 'typescript', files, target: 'a.ts', instruction: 'x' },
      refactor: { language: 'typescript', files, target: 'a.ts', range: at(0, 0, 1), instruction: 'x' },
      explain: { language: 'typescript', files, target: 'a.ts', range: at(0, 0, 1) },
    };
    for (const [route, body] of Object.entries(bodies)) {
      const res = await post(route, body, viewer);
      expect(res.status, route).toBe(403);
      problemOf(res);
    }
    expect((await h.rt.fetchJson('/v1/ide/usage', { headers: auth(viewer) })).status).toBe(200);
  });

  it('counts tokens per tenant and model; another tenant sees only its own', async () => {
    h.models.script([{ text: 'x;', usage: { inputTokens: 1000, outputTokens: 5 } }]);
    await ok('inline', {
      language: 'typescript',
      files: [{ path: 'a.ts', content: '\n' }],
      target: 'a.ts',
      position: { line: 0, character: 0 },
      model: { provider: 'openai', name: 'gpt-usage-test' },
    });
    const mine = await h.rt.fetchJson('/v1/ide/usage', { headers: auth(developer) });
    expect(mine.status).toBe(200);
    expect(mine.body.items).toContainEqual({ provider: 'openai', model: 'gpt-usage-test', calls: 1, inputTokens: 1000, outputTokens: 5 });
    const theirs = await h.rt.fetchJson('/v1/ide/usage', { headers: auth(other) });
    expect(theirs.body.items).toEqual([]);
    const bad = await h.rt.fetchJson('/v1/ide/usage?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', { headers: auth(developer) });
    expect(errorPaths(bad)).toEqual(['query.from']);
    expect(errorPaths(await h.rt.fetchJson('/v1/ide/usage?from=yesterday', { headers: auth(developer) }))).toEqual(['query.from']);
  });
});

describe('bad input', () => {
  const files = [{ path: 'a.ts', content: 'const s = "😀";\n' }];
  const base = { language: 'typescript', files, target: 'a.ts' };
  const expect400 = async (route: string, body: unknown, path: string) => {
    const res = await post(route, body);
    expect(res.status, `${route} ${res.text}`).toBe(400);
    expect(errorPaths(res)).toContain(path);
  };

  it('refuses positions outside the document or inside a surrogate pair, on every positional route', async () => {
    for (const route of ['complete', 'inline']) {
      await expect400(route, { ...base, position: { line: 2, character: 0 } }, 'body.position.line');
      await expect400(route, { ...base, position: { line: 0, character: 17 } }, 'body.position.character');
      await expect400(route, { ...base, position: { line: 0, character: 12 } }, 'body.position.character');
      await expect400(route, { ...base, position: { line: -1, character: 0 } }, 'body.position.line');
      await expect400(route, { ...base, position: { line: 0 } }, 'body.position.character');
      await expect400(route, { ...base }, 'body.position');
      await expect400(route, { ...base, target: 'b.ts', position: { line: 0, character: 0 } }, 'body.target');
    }
    for (const route of ['refactor', 'explain']) {
      const extra = route === 'refactor' ? { instruction: 'x' } : {};
      await expect400(route, { ...base, ...extra, range: { start: { line: 0, character: 5 }, end: { line: 0, character: 1 } } }, 'body.range.end');
      await expect400(
        route,
        { ...base, ...extra, range: { start: { line: 0, character: 0 }, end: { line: 9, character: 0 } } },
        'body.range.end.line',
      );
    }
    await expect400('generate', { ...base, instruction: 'x', position: { line: 5, character: 0 } }, 'body.position.line');
    await expect400('generate', { ...base, target: 'new.ts', instruction: 'x', position: { line: 0, character: 0 } }, 'body.position');
    await expect400('fix', { ...base, diagnostics: [{ range: at(4, 0, 1) }] }, 'body.diagnostics.0.range.start.line');
  });

  it('refuses bad models, instructions and options, and unknown languages, on every route', async () => {
    const position = { line: 0, character: 0 };
    await expect400('inline', { ...base, position, model: { provider: 'mistral', name: 'x' } }, 'body.model.provider');
    await expect400('inline', { ...base, position, model: { provider: 'openai', name: '' } }, 'body.model.name');
    await expect400('inline', { ...base, position, maxLines: 0 }, 'body.maxLines');
    await expect400('complete', { ...base, position, maxItems: 1000 }, 'body.maxItems');
    await expect400('complete', { ...base, position, useModel: 'yes' }, 'body.useModel');
    await expect400('generate', { ...base, instruction: '' }, 'body.instruction');
    await expect400('generate', { ...base, instruction: 'x'.repeat(4001) }, 'body.instruction');
    await expect400('refactor', { ...base, range: at(0, 0, 1) }, 'body.instruction');
    await expect400('fix', { ...base, diagnostics: [] }, 'body.diagnostics');
    await expect400('fix', { ...base, formatting: { tabSize: 0, insertSpaces: true } }, 'body.formatting.tabSize');
    await expect400('explain', { ...base, range: at(0, 0, 1), question: 7 }, 'body.question');
    const extra: Record<string, object> = {
      complete: { position },
      inline: { position },
      fix: {},
      generate: { instruction: 'x' },
      refactor: { range: at(0, 0, 0), instruction: 'x' },
      explain: { range: at(0, 0, 0) },
    };
    const many = Array.from({ length: 65 }, (_, i) => ({ path: `f${i}.ts`, content: '' }));
    for (const [route, fields] of Object.entries(extra)) {
      await expect400(route, { ...base, ...fields, language: 'klingon' }, 'body.language');
      await expect400(route, { ...base, ...fields, unknown: 1 }, 'body');
      const res = await post(route, { ...base, ...fields, files: many, target: 'f0.ts' });
      expect(res.status, route).toBe(413);
    }
  });

  it('maps provider failures to 502, and never a 500', async () => {
    h.models.script([{ status: 400, message: 'model not found' }]);
    const refused = await post('inline', { ...base, position: { line: 0, character: 0 } });
    expect(refused.status).toBe(502);
    expect(detailOf(refused)).toMatch(/The provider refused the request for the openai model gpt-4o-mini/);
    h.models.script([{ status: 503 }]);
    expect((await post('explain', { ...base, range: at(0, 0, 1) })).status).toBe(502);
  });
});
