/**
 * POST /v1/ide/analyze through the local runtime: the real analyzers' exact codes and LSP ranges (UTF-16
 * characters, shown on lines with accents and astral-plane emoji before the error), cross-file errors,
 * clean files giving none, every analyzer family, and bad input answered with problems, never a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorPaths, problemOf } from '../support/problem.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/** The problem's detail, after checking it is a problem+json without a stack trace. */
const detailOf = (res: Parameters<typeof problemOf>[0]): string => {
  problemOf(res);
  return res.body.detail;
};

let rt: TestRuntime;
let viewer: string;

beforeAll(async () => {
  rt = await startTestRuntime();
  viewer = await rt.mintJwt({ sub: 'user-viewer', roles: ['viewer'] });
});
afterAll(() => rt?.stop());

type File = { path: string; content: string };
const analyze = (body: unknown, token = viewer) =>
  rt.fetchJson('/v1/ide/analyze', { method: 'POST', headers: { authorization: `Bearer ${token}` }, json: body });
const diagnosticsOf = async (language: string, files: File[], extra: Record<string, unknown> = {}) => {
  const res = await analyze({ language, files, ...extra });
  expect(res.status, res.text).toBe(200);
  return res.body;
};
const at = (line: number, from: number, to: number, endLine = line) => ({ start: { line, character: from }, end: { line: endLine, character: to } });
const brief = (d: any) => ({ path: d.path, code: d.code, range: d.range, severity: d.severity });

describe('TypeScript and JavaScript (TypeScript 6 compiler)', () => {
  it('gives the compiler codes and UTF-16 ranges, across files', async () => {
    const body = await diagnosticsOf('typescript', [
      {
        path: 'src/app.ts',
        content: [
          "import { greet } from './greet';",
          "const who = 'Zoë 😀'; const n: number = who;", // 😀 is two UTF-16 code units
          'export const s: string = greet(1);',
          '',
        ].join('\n'),
      },
      { path: 'src/greet.ts', content: "export function greet(who: string): string {\n  return 'hi ' + who;\n}\n" },
    ]);
    expect(body.analyzer).toEqual({ name: 'typescript', version: '6.0.3' });
    expect(body.analyzed).toEqual(['src/app.ts', 'src/greet.ts']);
    expect(body.diagnostics.map(brief)).toEqual([
      { path: 'src/app.ts', code: 2322, range: at(1, 28, 29), severity: 'error' },
      // The argument's type comes from the other file's declaration: imports between the files resolve.
      { path: 'src/app.ts', code: 2345, range: at(2, 31, 32), severity: 'error' },
    ]);
    expect(body.diagnostics[0].message).toBe("Type 'string' is not assignable to type 'number'.");
    expect(body.diagnostics[1]).toMatchObject({
      source: 'ts',
      message: "Argument of type 'number' is not assignable to parameter of type 'string'.",
    });
  });

  it('reports a missing module and syntax errors, and nothing for a clean file', async () => {
    const missing = await diagnosticsOf('typescript', [{ path: 'a.ts', content: "import { x } from './nowhere';\nexport const y = x;\n" }]);
    expect(missing.diagnostics.map(brief)).toEqual([{ path: 'a.ts', code: 2307, range: at(0, 18, 29), severity: 'error' }]);
    const syntax = await diagnosticsOf('typescript', [{ path: 'a.ts', content: 'const ü = (1 + ;\n' }]);
    expect(syntax.diagnostics.map(brief)).toEqual([{ path: 'a.ts', code: 1109, range: at(0, 15, 16), severity: 'error' }]);
    const clean = await diagnosticsOf('typescript', [{ path: 'ok.ts', content: 'export const add = (a: number, b: number): number => a + b;\n' }]);
    expect(clean.diagnostics).toEqual([]);
  });

  it('checks JavaScript and JSX, honours compiler options, and narrows to a target', async () => {
    const js = await diagnosticsOf('javascript', [{ path: 'a.js', content: "const x = 1;\nx = 2;\n/** @type {number} */\nconst y = 'é';\n" }]);
    expect(js.diagnostics.map(brief)).toEqual([
      { path: 'a.js', code: 2588, range: at(1, 0, 1), severity: 'error' },
      { path: 'a.js', code: 2322, range: at(3, 6, 7), severity: 'error' },
    ]);
    const jsx = await diagnosticsOf('javascriptreact', [{ path: 'a.jsx', content: 'export const A = () => <div>{1 +}</div>;\n' }]);
    expect(jsx.diagnostics.map((d: any) => d.code)).toEqual([1109]);
    // Not strict: an implicit any is fine; strict: it is error 7006.
    const loose = await diagnosticsOf('typescript', [{ path: 'a.ts', content: 'export function f(x) { return x; }\n' }], {
      options: { strict: false },
    });
    expect(loose.diagnostics).toEqual([]);
    const strict = await diagnosticsOf('typescript', [{ path: 'a.ts', content: 'export function f(x) { return x; }\n' }]);
    expect(strict.diagnostics.map(brief)).toEqual([{ path: 'a.ts', code: 7006, range: at(0, 18, 19), severity: 'error' }]);
    const target = await diagnosticsOf(
      'typescript',
      [
        { path: 'a.ts', content: 'const a: number = "";\n' },
        { path: 'b.ts', content: 'const b: string = 1;\n' },
      ],
      { target: 'b.ts' },
    );
    expect(target.analyzed).toEqual(['b.ts']);
    expect(target.diagnostics.map(brief)).toEqual([{ path: 'b.ts', code: 2322, range: at(0, 6, 7), severity: 'error' }]);
  });
});

describe('Python (pyright)', () => {
  it('gives pyright rule codes and UTF-16 ranges, across files', async () => {
    const body = await diagnosticsOf('python', [
      { path: 'main.py', content: 'from util import greet\n\ncount: int = greet("Zoë 😀")\nlabel = "😀"; total: int = label\n' },
      { path: 'util.py', content: 'def greet(who: str) -> str:\n    return who\n' },
    ]);
    expect(body.analyzer).toEqual({ name: 'pyright', version: '1.1.414' });
    expect(body.diagnostics.map(brief)).toEqual([
      { path: 'main.py', code: 'reportAssignmentType', range: at(2, 13, 28), severity: 'error' },
      { path: 'main.py', code: 'reportAssignmentType', range: at(3, 27, 32), severity: 'error' },
    ]);
    expect(body.diagnostics[0]).toMatchObject({
      source: 'pyright',
      message: expect.stringContaining('Type "str" is not assignable to declared type "int"'),
    });
  });

  it('reports unresolved imports and undefined names, and nothing for a clean file', async () => {
    const body = await diagnosticsOf('python', [{ path: 'a.py', content: 'import nosuchmodule\nprint(undefined_name)\n' }]);
    expect(body.diagnostics.map(brief)).toEqual([
      { path: 'a.py', code: 'reportMissingImports', range: at(0, 7, 19), severity: 'error' },
      { path: 'a.py', code: 'reportUndefinedVariable', range: at(1, 6, 20), severity: 'error' },
    ]);
    const clean = await diagnosticsOf('python', [{ path: 'ok.py', content: 'def add(a: int, b: int) -> int:\n    return a + b\n' }]);
    expect(clean.diagnostics).toEqual([]);
  });
});

describe('tree-sitter languages', () => {
  it('gives Go syntax errors with UTF-16 ranges, and nothing for a clean file', async () => {
    const body = await diagnosticsOf('go', [{ path: 'main.go', content: 'package main\n\nfunc main() {\n\ts := "héllo😀" +\n}\n' }]);
    expect(body.analyzer).toEqual({ name: 'tree-sitter', version: '0.27.1', detail: 'grammars from @vscode/tree-sitter-wasm 0.3.1' });
    expect(body.diagnostics).toEqual([
      {
        path: 'main.go',
        range: at(3, 16, 17),
        severity: 'error',
        code: 'syntax-error',
        message: 'Syntax error: unexpected "+"',
        source: 'tree-sitter',
      },
    ]);
    const clean = await diagnosticsOf('go', [
      { path: 'main.go', content: 'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println("héllo😀")\n}\n' },
    ]);
    expect(clean.diagnostics).toEqual([]);
  });

  it('reads Rust, Java, C#, C, C++, Ruby, PHP, CSS, shell (aliases too)', async () => {
    const cases: Array<[string, string, string]> = [
      ['rust', 'main.rs', 'fn main() { let x = ; }\n'],
      ['java', 'A.java', 'class A { void f() { int x = ; } }\n'],
      ['csharp', 'A.cs', 'class A { void F() { var x = ; } }\n'],
      ['c', 'a.c', 'int main(void) { return (1 + ; }\n'],
      ['c++', 'a.cpp', 'int main() { return (1 + ; }\n'],
      ['ruby', 'a.rb', 'def f(\n  1 +\nend\n'],
      ['php', 'a.php', '<?php function f() { $x = ; }\n'],
      ['css', 'a.css', 'a { color: red; \n'],
      ['bash', 'a.sh', 'if [ -n "$x" ]; then\n  echo hi\n'],
    ];
    for (const [language, path, content] of cases) {
      const body = await diagnosticsOf(language, [{ path, content }]);
      expect(body.diagnostics.length, `${language}: ${JSON.stringify(body.diagnostics)}`).toBeGreaterThan(0);
      expect(body.diagnostics.every((d: any) => d.source === 'tree-sitter' && d.severity === 'error')).toBe(true);
    }
  });
});

describe('JSON, YAML and HTML', () => {
  it('report parse errors with positions', async () => {
    const json = await diagnosticsOf('json', [{ path: 'a.json', content: '{\n  "name": "Zoë 😀",\n}\n' }]);
    expect(json.diagnostics.map(brief)).toEqual([
      { path: 'a.json', code: 'PropertyNameExpected', range: at(2, 0, 1), severity: 'error' },
      { path: 'a.json', code: 'ValueExpected', range: at(2, 0, 1), severity: 'error' },
    ]);
    // jsonc: comments and trailing commas are fine.
    expect((await diagnosticsOf('jsonc', [{ path: 'tsconfig.json', content: '{\n  // c\n  "a": 1,\n}\n' }])).diagnostics).toEqual([]);
    const yaml = await diagnosticsOf('yaml', [{ path: 'a.yaml', content: 'name: 😀\nname: again\n' }]);
    expect(yaml.diagnostics.map(brief)).toEqual([{ path: 'a.yaml', code: 'DUPLICATE_KEY', range: at(1, 0, 1), severity: 'error' }]);
    const html = await diagnosticsOf('html', [{ path: 'a.html', content: '<p>😀 <b a="1" a="2">x</b></p></div>\n' }]);
    expect(html.diagnostics.map(brief)).toEqual([
      { path: 'a.html', code: 'duplicate-attribute', range: at(0, 16, 16), severity: 'error' },
      { path: 'a.html', code: 'structure', range: at(0, 30, 36), severity: 'error' },
    ]);
    expect(html.diagnostics[1].message).toBe('Unexpected closing tag "div". It may happen when the tag has already been closed by another tag.');
  });
});

describe('bad input', () => {
  const ts = [{ path: 'a.ts', content: 'export {};\n' }];

  it('answers an unknown language with 400 listing the supported ones', async () => {
    const res = await analyze({ language: 'cobol', files: ts });
    expect(res.status).toBe(400);
    expect(errorPaths(res)).toEqual(['body.language']);
    expect(problemOf(res).errors![0]!.message).toMatch(/supported: typescript, typescriptreact, javascript, .*python, go, rust/);
  });

  it('refuses wrong types, missing fields, unknown fields, bad paths, duplicates, a foreign target and bad options', async () => {
    const expect400 = async (body: unknown, path: string) => {
      const res = await analyze(body);
      expect(res.status, res.text).toBe(400);
      expect(errorPaths(res)).toContain(path);
    };
    await expect400({ files: ts }, 'body.language');
    await expect400({ language: 'typescript' }, 'body.files');
    await expect400({ language: 'typescript', files: [] }, 'body.files');
    await expect400({ language: 'typescript', files: 'a.ts' }, 'body.files');
    await expect400({ language: 'typescript', files: [{ path: 'a.ts' }] }, 'body.files.0.content');
    await expect400({ language: 'typescript', files: [{ path: 'a.ts', content: 1 }] }, 'body.files.0.content');
    await expect400({ language: 'typescript', files: ts, extra: true }, 'body');
    for (const path of ['../etc/passwd', '/abs.ts', 'a\\b.ts', 'a//b.ts', 'dir/', './a.ts', '']) {
      await expect400({ language: 'typescript', files: [{ path, content: '' }] }, 'body.files.0.path');
    }
    await expect400({ language: 'typescript', files: [...ts, ...ts] }, 'body.files.1.path');
    await expect400({ language: 'typescript', files: ts, target: 'b.ts' }, 'body.target');
    await expect400({ language: 'typescript', files: ts, options: { outDir: 'x' } }, 'body.options');
    await expect400({ language: 'typescript', files: ts, options: { target: 'ES1999' } }, 'body.options');
    await expect400({ language: 'typescript', files: ts, options: { strict: 'very' } }, 'body.options');
    // Binary content: control characters (NUL is refused by the HTTP stack, the rest by the use case).
    await expect400({ language: 'typescript', files: [{ path: 'a.ts', content: 'abc\u0001\u0002' }] }, 'body.files.0.content');
    await expect400({ language: 'typescript', files: [{ path: 'a.ts', content: 'abc\u0000' }] }, 'body.files.0.content');
    await expect400({ language: 'typescript', files: [{ path: 'a.ts', content: 'lone \ud800 surrogate' }] }, 'body.files.0.content');
  });

  it('answers 413 beyond the documented limits, and analyzes an empty file as clean', async () => {
    const many = Array.from({ length: 65 }, (_, i) => ({ path: `f${i}.ts`, content: '' }));
    expect(detailOf(await analyze({ language: 'typescript', files: many }))).toMatch(/At most 64 files/);
    expect((await analyze({ language: 'typescript', files: many })).status).toBe(413);
    const big = await analyze({ language: 'typescript', files: [{ path: 'a.ts', content: 'x'.repeat(128 * 1024 + 1) }] });
    expect(big.status).toBe(413);
    expect(errorPaths(big)).toEqual(['body.files.0.content']);
    // Each within the per-file limit, together over the per-request one.
    const total = await analyze({ language: 'typescript', files: [1, 2].map((i) => ({ path: `f${i}.ts`, content: '/'.repeat(110 * 1024) })) });
    expect(total.status).toBe(413);
    expect(detailOf(total)).toMatch(/at most 204800 per request/);
    const empty = await diagnosticsOf('typescript', [{ path: 'empty.ts', content: '' }]);
    expect(empty).toMatchObject({ analyzed: ['empty.ts'], diagnostics: [] });
  });

  it('answers 422 when an analyzer cannot take the input (the compiler runs out of stack), never a 500', async () => {
    const res = await analyze({ language: 'typescript', files: [{ path: 'deep.ts', content: `const x = ${'['.repeat(20_000)}` }] });
    expect(res.status).toBe(422);
    expect(errorPaths(res)).toEqual(['body.files']);
    expect(detailOf(res)).toMatch(/^typescript could not analyze these files/);
    // The analyzer is fine afterwards.
    expect((await diagnosticsOf('typescript', [{ path: 'ok.ts', content: 'export {};\n' }])).diagnostics).toEqual([]);
  });

  it('needs credentials', async () => {
    const res = await rt.fetchJson('/v1/ide/analyze', { method: 'POST', json: { language: 'typescript', files: ts } });
    expect(res.status).toBe(401);
  });
});
