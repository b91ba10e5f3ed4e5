/**
 * The IDE use cases on fakes of their ports: a toy analyzer (every `bad` is an error; `fixable bad` has a
 * compiler fix), a scripted model and an in-memory usage store. What is checked here is the use cases' own
 * logic: compiler fixes first, the model asked only for what is left, its edits verified and refused with
 * a reason, tokens recorded against the caller, default model choice; plus the position and prompt helpers.
 */
import { describe, expect, it } from 'vitest';
import type { Analyzer, AnalysisInput, CodeFix } from '#functions/ide-bridge/analyzer.ts';
import type { CodeModel, CodeModelRequest } from '#functions/ide-bridge/code-model.ts';
import { applyEdits, checkedOffset } from '#functions/ide-bridge/documents.ts';
import type { Diagnostic } from '#functions/ide-bridge/ide-bridge.contracts.ts';
import { complete, fix, type IdePorts, inline, introducedErrors, usage } from '#functions/ide-bridge/ide.service.ts';
import { cleanInline, parseCompletions, parseEditAnswer, resolveEdits } from '#functions/ide-bridge/prompts.ts';
import type { UsageRecord, UsageRepository } from '#functions/ide-bridge/usage.ts';
import { rangeOf } from '#functions/ide-bridge/documents.ts';
import { ValidationError } from '#shared/errors.ts';
import type { Principal } from '#shared/principal.ts';

const principal: Principal = { userId: 'user-1', tenantId: 'tenant-1', roles: ['developer'] };

class ToyAnalyzer implements Analyzer {
  analyses = 0;
  info() {
    return { name: 'toy', version: '1.0.0' };
  }
  async analyze(input: AnalysisInput) {
    this.analyses++;
    const diagnostics: Diagnostic[] = [];
    for (const path of input.report) {
      const content = input.files.find((f) => f.path === path)?.content ?? '';
      for (const m of content.matchAll(/\bbad\b/g)) {
        diagnostics.push({ path, range: rangeOf(content, m.index, m.index + 3), severity: 'error', code: 'E1', message: 'bad word', source: 'toy' });
      }
      for (const m of content.matchAll(/\bworse\b/g)) {
        diagnostics.push({
          path,
          range: rangeOf(content, m.index, m.index + 5),
          severity: 'error',
          code: 'E2',
          message: 'worse word',
          source: 'toy',
        });
      }
    }
    return { analyzer: this.info(), diagnostics };
  }
  async codeFixes(input: AnalysisInput, target: string, diagnostics: readonly Diagnostic[]): Promise<CodeFix[]> {
    const content = input.files.find((f) => f.path === target)!.content;
    const lines = content.split('\n');
    return diagnostics
      .filter((d) => lines[d.range.start.line]!.includes('fixable bad'))
      .map((d) => ({ title: 'Replace bad', edit: { changes: { [target]: [{ range: d.range, newText: 'good' }] } }, fixes: d }));
  }
}

const scriptedModel = (answers: string[], configured: Array<'openai' | 'anthropic'> = ['openai']) => {
  const requests: CodeModelRequest[] = [];
  const model: CodeModel = {
    configured: async (provider) => configured.includes(provider),
    generate: async (request) => {
      requests.push(request);
      const text = answers.shift();
      if (text === undefined) throw new Error('no scripted answer left');
      return { text, usage: { inputTokens: 10, outputTokens: 2 }, model: request.model.name };
    },
  };
  return { model, requests };
};

const memoryUsage = () => {
  const records: UsageRecord[] = [];
  const repo: UsageRepository = {
    record: async (r) => {
      records.push(r);
    },
    totals: async (tenantId) => {
      const mine = records.filter((r) => r.tenantId === tenantId);
      return mine.length ? [{ provider: mine[0]!.provider, model: mine[0]!.model, calls: mine.length, inputTokens: 0, outputTokens: 0 }] : [];
    },
  };
  return { repo, records };
};

const portsWith = (answers: string[], options: { configured?: Array<'openai' | 'anthropic'>; defaultModel?: string } = {}) => {
  const analyzer = new ToyAnalyzer();
  const { model, requests } = scriptedModel(answers, options.configured);
  const { repo, records } = memoryUsage();
  const ports: IdePorts = { analyzer: () => analyzer, model, usage: async () => repo, defaultModel: options.defaultModel };
  return { ports, analyzer, requests, records };
};

const edits = (list: Array<{ path: string; find: string; replace: string }>) => JSON.stringify({ edits: list, explanation: 'x' });
const fixRequest = (content: string, extra: Record<string, unknown> = {}) => ({
  language: 'go',
  files: [{ path: 'main.go', content }],
  target: 'main.go',
  useModel: true,
  ...extra,
});

describe('fix', () => {
  it("uses the analyzer's own fix and does not call the model when every diagnostic has one", async () => {
    const { ports, requests, records } = portsWith([]);
    const result = await fix(ports, principal, fixRequest('x := fixable bad\n'));
    expect(result.fixes).toMatchObject([{ source: 'compiler', title: 'Replace bad' }]);
    expect(result.unfixed).toEqual([]);
    expect(requests).toEqual([]);
    expect(records).toEqual([]);
  });

  it('asks the model only about what is left, and records its tokens against the caller', async () => {
    const { ports, requests, records } = portsWith([edits([{ path: 'main.go', find: 'y := bad', replace: 'y := ok' }])]);
    const result = await fix(ports, principal, fixRequest('x := fixable bad\ny := bad\n'));
    expect(result.fixes.map((f) => f.source)).toEqual(['compiler', 'model']);
    expect(result.unfixed).toEqual([]);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.user).toContain('main.go:2:6 error E1: bad word');
    expect(requests[0]!.user).not.toContain('main.go:1:');
    expect(records).toEqual([
      { tenantId: 'tenant-1', userId: 'user-1', route: 'fix', provider: 'openai', model: 'gpt-4o-mini', inputTokens: 10, outputTokens: 2 },
    ]);
  });

  it('refuses a model edit that trades one error for another, or garbage, without applying anything', async () => {
    const { ports } = portsWith([
      edits([{ path: 'main.go', find: 'bad', replace: 'worse' }]),
      'no idea',
      edits([{ path: 'main.go', find: 'bad', replace: 'fine' }]),
    ]);
    const worse = await fix(ports, principal, fixRequest('y := bad\n'));
    expect(worse.fixes).toEqual([]);
    expect(worse.rejected).toEqual([
      { source: 'model', reason: "The model's edit adds 1 error(s); it was dropped", introduced: [expect.objectContaining({ code: 'E2' })] },
    ]);
    const garbage = await fix(ports, principal, fixRequest('y := bad\n'));
    expect(garbage.rejected[0]!.reason).toMatch(/did not answer with a JSON object/);
    const good = await fix(ports, principal, fixRequest('y := bad\n'));
    expect(good.fixes).toMatchObject([{ source: 'model', edit: { changes: { 'main.go': [{ newText: 'fine' }] } } }]);
  });

  it('takes the provider that is configured when the deployment names no default model', async () => {
    const { ports, requests } = portsWith([edits([{ path: 'main.go', find: 'bad', replace: 'ok' }])], { configured: ['anthropic'] });
    await fix(ports, principal, fixRequest('y := bad\n'));
    expect(requests[0]!.model).toEqual({ provider: 'anthropic', name: 'claude-haiku-4-5' });
    const named = portsWith(['a'], { defaultModel: 'openai:my-model' });
    await inline(named.ports, principal, {
      language: 'go',
      files: [{ path: 'a.go', content: '' }],
      target: 'a.go',
      position: { line: 0, character: 0 },
      maxLines: 3,
    });
    expect(named.requests[0]!.model).toEqual({ provider: 'openai', name: 'my-model' });
  });
});

describe('complete and usage', () => {
  it('reports a model that is not configured instead of failing, when the analyzer has no completions', async () => {
    const { ports } = portsWith([], { configured: [] });
    const result = await complete(ports, principal, {
      language: 'go',
      files: [{ path: 'a.go', content: 'x' }],
      target: 'a.go',
      position: { line: 0, character: 1 },
      maxItems: 10,
      useModel: true,
    });
    expect(result).toEqual({ items: [], isIncomplete: false, analyzer: null, model: expect.objectContaining({ status: 'not-configured' }) });
  });

  it("reads only the caller's tenant and bounds the window", async () => {
    const { ports, records } = portsWith([]);
    records.push({ tenantId: 'tenant-2', userId: 'u', route: 'fix', provider: 'openai', model: 'm', inputTokens: 1, outputTokens: 1 });
    expect((await usage(ports, principal, {})).items).toEqual([]);
    await expect(usage(ports, principal, { from: '2020-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' })).rejects.toThrow(/longer than 366 days/);
  });
});

describe('positions, edits and model answers', () => {
  it('counts UTF-16 code units, knows \\r\\n, and refuses positions outside or inside a surrogate pair', () => {
    const text = 'a😀b\r\nlast';
    expect(checkedOffset(text, { line: 0, character: 3 }, 'p')).toBe(3);
    expect(checkedOffset(text, { line: 0, character: 4 }, 'p')).toBe(4);
    expect(checkedOffset(text, { line: 1, character: 4 }, 'p')).toBe(10);
    const refusal = (position: { line: number; character: number }) => {
      try {
        checkedOffset(text, position, 'p');
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        return (error as ValidationError).errors![0];
      }
      throw new Error('accepted');
    };
    expect(refusal({ line: 0, character: 2 })).toEqual({ path: 'p.character', message: expect.stringMatching(/splits a surrogate pair/) });
    expect(refusal({ line: 0, character: 5 })).toEqual({ path: 'p.character', message: expect.stringMatching(/past the end of line 0 \(4 UTF-16/) });
    expect(refusal({ line: 2, character: 0 })).toEqual({ path: 'p.line', message: expect.stringMatching(/past the end of the file/) });
    expect(applyEdits(text, [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 4 } }, newText: 'end' }])).toBe('a😀b\r\nend');
  });

  it('compares errors by file, code and message, so moved errors are not "introduced"', () => {
    const d = (line: number, code: string): Diagnostic => ({
      path: 'a',
      range: { start: { line, character: 0 }, end: { line, character: 1 } },
      severity: 'error',
      code,
      message: code,
      source: 't',
    });
    expect(introducedErrors([d(0, 'A'), d(1, 'B')], [d(5, 'A')])).toEqual([]);
    expect(introducedErrors([d(0, 'A')], [d(0, 'A'), d(3, 'A')])).toEqual([d(3, 'A')]);
  });

  it('reads model answers strictly: JSON edits located exactly once, completions as a list, inline text cleaned', () => {
    const files = [{ path: 'a.ts', content: 'let x = 1;\nlet y = 1;\n' }];
    expect(parseEditAnswer('```json\n{"edits":[{"path":"a.ts","find":"x = 1","replace":"x = 2"}]}\n```')).toMatchObject({ ok: true });
    expect(parseEditAnswer('{"edits":[]}')).toMatchObject({ ok: false });
    const located = resolveEdits(files, [{ path: 'a.ts', find: 'y = 1', replace: 'y = 3' }], 256);
    expect(located).toEqual({
      ok: true,
      edit: { changes: { 'a.ts': [{ range: { start: { line: 1, character: 4 }, end: { line: 1, character: 9 } }, newText: 'y = 3' }] } },
    });
    expect(resolveEdits(files, [{ path: 'a.ts', find: ' = 1', replace: '' }], 256)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/more than once/),
    });
    expect(resolveEdits(files, [{ path: '../x', find: '', replace: '' }], 256)).toMatchObject({ ok: false });
    expect(resolveEdits(files, [{ path: 'new.ts', find: '', replace: 'export {}' }], 256)).toMatchObject({ ok: true });
    expect(parseCompletions('["a", {"label": "b", "insertText": "b()"}]')).toEqual([
      { label: 'a', insertText: 'a' },
      { label: 'b', insertText: 'b()' },
    ]);
    expect(parseCompletions('a, b')).toBeUndefined();
    expect(cleanInline('```py\n    return total\n```', '    return ', '\n', 5)).toBe('total');
    expect(cleanInline('a + b\n}\nfunction next() {}', '', '\n}\nfunction next() {}\n', 5)).toBe('a + b');
    expect(cleanInline('if (x) {\n  y();\n}', '', '\nreturn;\n', 2)).toBe('if (x) {\n  y();');
  });
});
