/**
 * What `mls lsp` sends as a request's project context (cli/lsp/project-files.ts), on a real folder: the file,
 * what it imports (TypeScript's `./x.js` meaning `x.ts`, folders' index files, Python's relative, absolute
 * and package imports), declaration files, the nearest others only when asked, within the budget; never
 * ignored folders or binary files; open documents as the editor has them; the tsconfig options the API takes.
 * Also the fix choice of `mls.fix` (cli/lsp/lsp.server.ts `chooseFixes`).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseFixes } from '../../../cli/lsp/lsp.server.ts';
import { clampBudget, isApiPath, ProjectFiles } from '../../../cli/lsp/project-files.ts';

let root: string;
const files: Record<string, string> = {
  'src/app.ts': "import { helper } from './util/helper.js';\nimport { Config } from '../config';\nimport * as fs from 'node:fs';\n",
  'src/util/helper.ts': "import { deep } from './deep';\nexport const helper = deep;\n",
  'src/util/deep.ts': 'export const deep = 1;\n',
  'src/util/unrelated.ts': 'export const other = 2;\n',
  'src/sibling.ts': 'export const sibling = 3;\n',
  'config/index.ts': 'export interface Config { a: number }\n',
  'types/global.d.ts': 'declare const BUILD: string;\n',
  'far/away/module.ts': 'export const far = 4;\n',
  'node_modules/pkg/index.ts': 'export const dependency = 5;\n',
  '.cache/hidden.ts': 'export const hidden = 6;\n',
  'dist/built.ts': 'export const built = 7;\n',
  'src/binary.ts': 'export const b = 1;\u0000\n',
  'py/main.py': 'from .util import helper\nimport pkg.mod\nfrom pkg import other\nimport os\n',
  'py/util.py': 'def helper(): ...\n',
  'py/pkg/__init__.py': '',
  'py/pkg/mod.py': 'x = 1\n',
  'py/pkg/other.py': 'y = 2\n',
  'py/unused.py': 'z = 3\n',
  'tsconfig.json': '{\n  // comment\n  "compilerOptions": { "strict": false, "target": "ES2020", "outDir": "dist", "incremental": true, },\n}\n',
};

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'mls-project-files-'));
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), content);
  }
});
afterAll(() => (root ? rm(root, { recursive: true, force: true }) : undefined));

const budget = clampBudget({});
const paths = (list: Array<{ path: string }>) => list.map((f) => f.path);

describe('ProjectFiles', () => {
  it('indexes the project without ignored folders', async () => {
    const index = await new ProjectFiles(root).index();
    expect(index).toContain('src/app.ts');
    expect(index.filter((p) => /node_modules|\.cache|dist\//.test(p))).toEqual([]);
  });

  it('sends a TypeScript file with what it imports, transitively, and the declaration files', async () => {
    const project = new ProjectFiles(root);
    const context = await project.context({
      target: { path: 'src/app.ts', content: files['src/app.ts']! },
      family: 'typescript',
      open: new Map(),
      fill: false,
      budget,
    });
    expect(paths(context)).toEqual(['src/app.ts', 'src/util/helper.ts', 'config/index.ts', 'src/util/deep.ts', 'types/global.d.ts']);
  });

  it('fills with the nearest other files only when asked, never binary ones, and takes open documents as they are', async () => {
    const project = new ProjectFiles(root);
    const open = new Map([['src/util/deep.ts', 'export const deep = "edited, unsaved";\n']]);
    const context = await project.context({
      target: { path: 'src/app.ts', content: files['src/app.ts']! },
      family: 'typescript',
      open,
      fill: true,
      budget,
    });
    expect(paths(context).slice(0, 5)).toEqual(['src/app.ts', 'src/util/helper.ts', 'config/index.ts', 'src/util/deep.ts', 'types/global.d.ts']);
    // Then the same folder before deeper or farther ones.
    expect(paths(context).slice(5)).toEqual(['src/sibling.ts', 'src/util/unrelated.ts', 'far/away/module.ts']);
    expect(context.find((f) => f.path === 'src/util/deep.ts')!.content).toContain('edited, unsaved');
  });

  it('keeps within the budget, the target first whatever its size', async () => {
    const project = new ProjectFiles(root);
    const small = clampBudget({ maxFiles: 2 });
    const context = await project.context({
      target: { path: 'src/app.ts', content: files['src/app.ts']! },
      family: 'typescript',
      open: new Map(),
      fill: true,
      budget: small,
    });
    expect(paths(context)).toEqual(['src/app.ts', 'src/util/helper.ts']);
    expect(clampBudget({ maxFiles: 1000, maxBytes: 10 ** 9 })).toEqual({ maxFiles: 64, maxBytes: 200 * 1024 - 16 * 1024 });
  });

  it("follows Python's relative, absolute and package imports", async () => {
    const project = new ProjectFiles(root);
    const context = await project.context({
      target: { path: 'py/main.py', content: files['py/main.py']! },
      family: 'python',
      open: new Map(),
      fill: false,
      budget,
    });
    expect(paths(context).sort()).toEqual(['py/main.py', 'py/pkg/__init__.py', 'py/pkg/mod.py', 'py/pkg/other.py', 'py/util.py']);
  });

  it('sends other languages alone', async () => {
    const context = await new ProjectFiles(root).context({
      target: { path: 'main.go', content: 'package main\n' },
      family: undefined,
      open: new Map(),
      fill: true,
      budget,
    });
    expect(paths(context)).toEqual(['main.go']);
  });

  it('takes the tsconfig options the API knows (comments and trailing commas allowed), and only those', async () => {
    expect(await new ProjectFiles(root).tsOptions()).toEqual({ strict: false, target: 'ES2020' });
    expect(await new ProjectFiles(path.join(root, 'src')).tsOptions()).toBeUndefined();
  });

  it('knows which paths the API accepts', () => {
    expect(['src/a.ts', 'a', 'dir/x.d.ts'].every(isApiPath)).toBe(true);
    expect(['/abs.ts', 'a/../b.ts', './a.ts', 'a//b.ts', 'a\\b.ts', 'x'.repeat(257), 'tab\t.ts'].some(isApiPath)).toBe(false);
  });
});

describe('chooseFixes', () => {
  const range = (line: number, from: number, to: number) => ({ start: { line, character: from }, end: { line, character: to } });
  const diag = (line: number) => ({ path: 'a.ts', range: range(line, 0, 1), severity: 'error' as const, code: 2304, message: 'm', source: 'ts' });
  const fix = (title: string, fixes: number[], at: ReturnType<typeof range>) => ({
    title,
    source: 'compiler' as const,
    edit: { changes: { 'a.ts': [{ range: at, newText: title }] } },
    fixes: fixes.map(diag),
  });
  const response = (fixes: ReturnType<typeof fix>[]) => ({
    analyzer: { name: 'typescript', version: '6' },
    diagnostics: [],
    fixes,
    rejected: [],
    unfixed: [],
    model: null,
  });

  it('takes each fix that covers a new diagnostic and overlaps none taken, in order', () => {
    const chosen = chooseFixes(
      response([
        fix('first for line 1', [1], range(1, 0, 4)),
        fix('second for line 1', [1], range(1, 6, 8)),
        fix('overlapping', [2], range(1, 2, 5)),
        fix('for line 3', [3], range(3, 0, 1)),
      ]),
    );
    expect(chosen?.titles).toEqual(['first for line 1', 'for line 3']);
    expect(chosen?.edit.changes['a.ts']).toHaveLength(2);
  });

  it('answers nothing when there is no fix', () => {
    expect(chooseFixes(response([]))).toBeUndefined();
  });
});
