/**
 * `mls lsp --stdio` driven by a protocol client as an editor drives it (test/ide-bridge/lsp-client.ts), in a
 * project folder on disk, against the local runtime with the scripted model server behind the real SDKs:
 * initialize, incremental sync, debounced diagnostics with exact compiler codes and ranges (imports read from
 * the project), cleared on close; completion marked by source; LSP 3.18 inline completion; the compiler's quick
 * fixes and AI actions through workspace/executeCommand with $/progress and workspace/applyEdit; the live
 * workspace (presence and shared analyses on its channel); roles, bad arguments, an unreachable or unconfigured
 * platform said once; shutdown/exit.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  ErrorCodes,
  ExecuteCommandRequest,
  InlineCompletionRequest,
  CompletionRequest,
  CodeActionRequest,
} from 'vscode-languageserver-protocol/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../agents/executions/execution-fixtures.ts';
import { isEvent, request } from '../realtime/helpers.ts';
import { startLspClient, type LspClient } from './lsp-client.ts';

let h: Harness;
let project: string;
const clients: LspClient[] = [];

const MATH = 'export function sum(a: number, b: number): number {\n  return a + b;\n}\n';
const GREET = 'export const greet = (who: string): string => "hi " + who;\n';
const APP = "import { greet } from './greet';\nexport const s: string = greet(1);\n";

beforeAll(async () => {
  h = await startHarness();
  project = await mkdtemp(path.join(tmpdir(), 'mls-lsp-project-'));
  await mkdir(path.join(project, 'src'));
  await mkdir(path.join(project, 'node_modules', 'ignored'), { recursive: true });
  await writeFile(path.join(project, 'src', 'math.ts'), MATH);
  await writeFile(path.join(project, 'src', 'greet.ts'), GREET);
  await writeFile(path.join(project, 'node_modules', 'ignored', 'index.ts'), 'export const ignored: number = "never sent";\n');
  await writeFile(path.join(project, 'tsconfig.json'), '{\n  // comments are fine\n  "compilerOptions": { "strict": true, "outDir": "dist", },\n}\n');
});
afterAll(async () => {
  await h?.stop();
  if (project) await rm(project, { recursive: true, force: true });
});
beforeEach(() => h.models.reset());
afterEach(async () => {
  // Every server must end cleanly on shutdown + exit, whatever the test did.
  for (const client of clients.splice(0)) expect(await client.stop()).toBe(0);
});

const uriOf = (rel: string) => pathToFileURL(path.join(project, rel)).href;
const at = (line: number, from: number, to = from, endLine = line) => ({ start: { line, character: from }, end: { line: endLine, character: to } });

const start = async (options: { key?: string; args?: string[]; init?: unknown; root?: string | null; env?: Record<string, string> } = {}) => {
  const client = startLspClient(options.args ?? ['--url', h.rt.restUrl, '--key', options.key ?? h.rt.apiKey], {
    cwd: project,
    ...(options.env && { env: options.env }),
    choose: (p) => p.actions?.find((a) => a.title === 'Simplify') ?? null,
  });
  clients.push(client);
  const init = await client.initialize(options.root === undefined ? pathToFileURL(project).href : options.root, {
    diagnostics: { debounceMs: 30 },
    ...(options.init as object),
  });
  return { client, init };
};

/** The next diagnostics published for `uri` (after `mark`) for the document's given version. */
const diagnosticsOf = (client: LspClient, uri: string, version?: number, after = 0) =>
  client.waitFor('textDocument/publishDiagnostics', (p) => p.uri === uri && (version === undefined || p.version === version), { after });

const command = (client: LspClient, name: string, args: unknown) =>
  client.connection.sendRequest(ExecuteCommandRequest.type, { command: name, arguments: [args] });

const modelEdits = (list: Array<{ path: string; find: string; replace: string }>, explanation = 'done') =>
  JSON.stringify({ edits: list, explanation });

describe('mls lsp: sync and diagnostics', () => {
  it('answers initialize with its capabilities, publishes the compiler diagnostics with imports from disk, follows incremental changes and clears on close', async () => {
    const { client, init } = await start();
    expect(init.serverInfo).toMatchObject({ name: 'mls' });
    expect(init.capabilities).toMatchObject({
      positionEncoding: 'utf-16',
      textDocumentSync: { openClose: true, change: 2 },
      inlineCompletionProvider: true,
      completionProvider: { triggerCharacters: expect.arrayContaining(['.']) },
      codeActionProvider: { codeActionKinds: expect.arrayContaining(['quickfix', 'refactor.rewrite']) },
      executeCommandProvider: { commands: ['mls.fix', 'mls.refactor', 'mls.generate', 'mls.explain'] },
    });

    const app = uriOf('src/app.ts');
    client.open(app, 'typescript', APP);
    // greet.ts is not open: its signature came from the project on disk.
    const first = await diagnosticsOf(client, app, 1);
    expect(first.diagnostics).toEqual([
      {
        range: at(1, 31, 32),
        severity: 1,
        code: 2345,
        source: 'ts',
        message: "Argument of type 'number' is not assignable to parameter of type 'string'.",
        data: { mls: true },
      },
    ]);

    // A burst of edits: only the last version's diagnostics are published.
    const mark = client.mark();
    client.change(app, at(1, 31, 32), "'w");
    client.change(app, at(1, 33), 'o');
    const last = client.change(app, at(1, 34), "rld'");
    expect((await diagnosticsOf(client, app, last, mark)).diagnostics).toEqual([]);
    await new Promise((r) => setTimeout(r, 300));
    expect(client.all('textDocument/publishDiagnostics', mark).filter((p) => p.uri === app)).toEqual([{ uri: app, version: last, diagnostics: [] }]);

    // Non-ASCII text before the error: the range counts UTF-16 code units (the emoji is two).
    const broken = client.change(app, at(2, 0), 'const café = "😀"; const n: number = café;\n');
    const utf16 = await diagnosticsOf(client, app, broken);
    expect(utf16.diagnostics).toEqual([expect.objectContaining({ code: 2322, range: at(2, 25, 26) })]);

    const closing = client.mark();
    client.close(app);
    expect(await diagnosticsOf(client, app, undefined, closing)).toEqual({ uri: app, diagnostics: [] });
  });

  it('re-checks the open files that import a changed one', async () => {
    const { client } = await start();
    const main = uriOf('src/main-dep.ts');
    const lib = uriOf('src/lib-dep.ts');
    client.open(lib, 'typescript', 'export const limit: number = 3;\n');
    client.open(main, 'typescript', "import { limit } from './lib-dep';\nexport const twice: number = limit * 2;\n");
    await diagnosticsOf(client, main, 1);
    const mark = client.mark();
    client.change(lib, at(0, 20, 26), 'string');
    client.change(lib, at(0, 29, 30), '"3"');
    const dependant = await client.waitFor('textDocument/publishDiagnostics', (p) => p.uri === main && p.diagnostics.length > 0, { after: mark });
    expect(dependant.diagnostics).toEqual([expect.objectContaining({ code: 2362 })]);
  });

  it('analyzes other languages file by file, and leaves unsupported ones alone', async () => {
    const { client } = await start();
    const py = uriOf('src/tool.py');
    client.open(py, 'python', 'count: int = "3"\n');
    expect((await diagnosticsOf(client, py, 1)).diagnostics).toEqual([expect.objectContaining({ code: 'reportAssignmentType', source: 'pyright' })]);
    const json = uriOf('config.json');
    client.open(json, 'json', '{ "a": 1,, }');
    expect((await diagnosticsOf(client, json, 1)).diagnostics.length).toBeGreaterThan(0);
    const md = uriOf('README.md');
    const mark = client.mark();
    client.open(md, 'markdown', '# Title\n');
    client.change(md, at(0, 7), ' again');
    await new Promise((r) => setTimeout(r, 500));
    expect(client.all('textDocument/publishDiagnostics', mark).filter((p) => p.uri === md)).toEqual([]);
    expect(client.all('window/showMessage', mark)).toEqual([]);
  });
});

describe('mls lsp: completion and inline completion', () => {
  const pointFile = 'const point = { alpha: 1, beta: 2 };\npoint.\n';

  it("answers the compiler's items (no model call by default) and, when configured, the model's too, each marked with its source", async () => {
    const { client } = await start();
    const uri = uriOf('src/point.ts');
    client.open(uri, 'typescript', pointFile);
    const before = h.models.requests.length;
    const list: any = await client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: { line: 1, character: 6 } });
    expect(h.models.requests.length).toBe(before);
    expect(list.items.map((i: any) => [i.label, i.labelDetails.description])).toEqual([
      ['alpha', 'compiler'],
      ['beta', 'compiler'],
    ]);

    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: { mls: { completion: { useModel: true } } } });
    h.models.script([{ text: '["alpha.toFixed(2)", "beta"]' }]);
    const merged: any = await client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: { line: 1, character: 6 } });
    expect(merged.items[0]).toMatchObject({ label: 'alpha.toFixed(2)', labelDetails: { description: 'model' }, data: { source: 'model' } });
    expect(merged.items.slice(1).map((i: any) => i.label)).toEqual(['alpha', 'beta']);
  });

  it('answers LSP 3.18 inline completions from the model', async () => {
    const { client } = await start();
    const uri = uriOf('src/use-sum.ts');
    client.open(uri, 'typescript', "import { sum } from './math';\nexport const total = \n");
    h.models.script([{ text: 'sum(1, 2);' }]);
    const result: any = await client.connection.sendRequest(InlineCompletionRequest.type, {
      textDocument: { uri },
      position: { line: 1, character: 21 },
      context: { triggerKind: 2 },
    });
    expect(result).toEqual({ items: [{ insertText: 'sum(1, 2);', range: at(1, 21) }] });
    expect(JSON.stringify(h.models.requests.at(-1)!.body)).toContain('export const total = <CURSOR>');
  });
});

describe('mls lsp: code actions and commands', () => {
  it("offers the compiler's own fix for a missing import, as a versioned edit", async () => {
    const { client } = await start();
    const uri = uriOf('src/main.ts');
    client.open(uri, 'typescript', 'export const total = sum(1, 2);\n');
    const { diagnostics } = await diagnosticsOf(client, uri, 1);
    expect(diagnostics).toEqual([expect.objectContaining({ code: 2304, range: at(0, 21, 24) })]);
    const before = h.models.requests.length;
    const actions: any = await client.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri },
      range: at(0, 22),
      context: { diagnostics, triggerKind: 2 },
    });
    expect(h.models.requests.length).toBe(before);
    // An editor that drops the diagnostics' `data` gets the same fixes (recognized by range, code and message).
    const withoutData = diagnostics.map(({ data: _data, ...d }: any) => d);
    const again: any = await client.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri },
      range: at(0, 22),
      context: { diagnostics: withoutData, triggerKind: 2 },
    });
    expect(again.map((a: any) => a.title)).toEqual(actions.map((a: any) => a.title));
    // The compiler's fixes, in its order: the import first (preferred), then its other ideas.
    expect(actions.map((a: any) => a.title)).toEqual(['Add import from "./math"', "Add missing function declaration 'sum'"]);
    expect(actions.slice(0, 1)).toEqual([
      {
        title: 'Add import from "./math"',
        kind: 'quickfix',
        diagnostics,
        isPreferred: true,
        edit: {
          documentChanges: [{ textDocument: { uri, version: 1 }, edits: [{ range: at(0, 0), newText: 'import { sum } from "./math";\n\n' }] }],
        },
      },
    ]);
  });

  it('fixes with the model through executeCommand, reporting $/progress and applying the edit through the editor', async () => {
    const { client } = await start();
    const uri = uriOf('src/answer.ts');
    client.open(uri, 'typescript', 'const answer: number = "42";\nexport { answer };\n');
    const { diagnostics } = await diagnosticsOf(client, uri, 1);
    const actions: any = await client.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri },
      range: at(0, 6),
      context: { diagnostics, triggerKind: 1 },
    });
    const ai = actions.find((a: any) => a.title === 'Fix with AI (mls)');
    expect(ai).toMatchObject({ kind: 'quickfix', command: { command: 'mls.fix' } });
    expect(actions.map((a: any) => a.title)).toContain('Generate code here with AI… (mls)');

    h.models.script([
      { text: modelEdits([{ path: 'src/answer.ts', find: 'answer: number = "42"', replace: 'answer: number = 42' }], 'Use a number') },
    ]);
    const mark = client.mark();
    const result: any = await client.connection.sendRequest(ExecuteCommandRequest.type, ai.command);
    expect(result).toMatchObject({ applied: true, fixes: ['Use a number'], rejected: [], unfixed: [] });
    const apply = await client.waitFor('workspace/applyEdit', () => true, { after: mark });
    expect(apply).toEqual({
      label: 'mls: fix',
      edit: { documentChanges: [{ textDocument: { uri, version: 1 }, edits: [{ range: at(0, 6, 27), newText: 'answer: number = 42' }] }] },
    });
    const progress = client.all('$/progress', mark).map((p) => p.value.kind);
    expect(progress[0]).toBe('begin');
    expect(progress.at(-1)).toBe('end');
    expect(client.all('$/progress', mark)[0].value).toMatchObject({ title: 'mls: Fixing with AI', cancellable: true });
  });

  it('refactors with an instruction (asked for when missing), drops a model edit that adds errors, generates and explains', async () => {
    const { client } = await start();
    const uri = uriOf('src/area.ts');
    const text = 'export function area(w: number, h: number) {\n  const x = w * h;\n  return x;\n}\n';
    client.open(uri, 'typescript', text);
    await diagnosticsOf(client, uri, 1);
    const range = at(1, 0, 11, 2);

    h.models.script([{ text: '```ts\n  return w * height;\n```' }]);
    let mark = client.mark();
    const worse: any = await command(client, 'mls.refactor', { uri, range, instruction: 'rename h' });
    expect(worse).toMatchObject({ applied: false, rejected: [{ reason: "The model's edit adds 1 error(s); it was dropped" }] });
    expect(client.all('workspace/applyEdit', mark)).toEqual([]);
    expect(client.all('window/showMessage', mark)).toEqual([
      { type: 2, message: expect.stringContaining("Nothing applied: The model's edit adds 1 error(s)") },
    ]);

    // No instruction: the user picks one (the test editor picks "Simplify").
    h.models.script([{ text: '```ts\n  return w * h;\n```' }]);
    mark = client.mark();
    const good: any = await command(client, 'mls.refactor', { uri, range });
    expect(client.all('window/showMessageRequest', mark)[0].actions.map((a: any) => a.title)).toContain('Simplify');
    expect(JSON.stringify(h.models.requests.at(-1)!.body)).toContain('Simplify this code without changing what it does.');
    expect(good).toMatchObject({ applied: true, rejected: [] });
    expect((await client.waitFor('workspace/applyEdit', () => true, { after: mark })).edit.documentChanges[0].edits).toEqual([
      { range, newText: '  return w * h;' },
    ]);

    // A new file: created, then written.
    h.models.script([{ text: '```ts\nexport const double = (n: number): number => n * 2;\n```' }]);
    mark = client.mark();
    expect(await command(client, 'mls.generate', { uri, instruction: 'a double function', target: 'src/double.ts' })).toMatchObject({
      applied: true,
    });
    // The project went along as context (files on disk, nearest first), the ignored folders did not.
    const prompt = JSON.stringify(h.models.requests.at(-1)!.body);
    expect(prompt).toContain('--- src/math.ts');
    expect(prompt).not.toContain('never sent');
    const created = (await client.waitFor('workspace/applyEdit', () => true, { after: mark })).edit.documentChanges;
    expect(created).toEqual([
      { kind: 'create', uri: uriOf('src/double.ts'), options: { ignoreIfExists: true } },
      {
        textDocument: { uri: uriOf('src/double.ts'), version: null },
        edits: [{ range: at(0, 0), newText: 'export const double = (n: number): number => n * 2;\n' }],
      },
    ]);

    h.models.script([{ text: 'It multiplies width by height.' }]);
    mark = client.mark();
    expect(await command(client, 'mls.explain', { uri, range: at(0, 0, 1, 3) })).toEqual({ text: 'It multiplies width by height.' });
    expect(client.all('window/showMessage', mark)).toEqual([{ type: 3, message: 'mls: It multiplies width by height.' }]);
  });

  it('refuses an edit computed for a text the editor has since changed', async () => {
    const client = startLspClient(['--url', h.rt.restUrl, '--key', h.rt.apiKey], {
      cwd: project,
      applyEdit: () => ({ applied: false, failureReason: 'version mismatch' }),
    });
    clients.push(client);
    await client.initialize(pathToFileURL(project).href);
    const uri = uriOf('src/stale.ts');
    client.open(uri, 'typescript', 'export const n: number = "1";\n');
    await diagnosticsOf(client, uri, 1);
    h.models.script([{ text: modelEdits([{ path: 'src/stale.ts', find: '"1"', replace: '1' }]) }]);
    const mark = client.mark();
    const result: any = await command(client, 'mls.fix', { uri });
    expect(result).toMatchObject({ applied: false, failureReason: 'version mismatch' });
    expect(client.all('window/showMessage', mark)).toEqual([{ type: 2, message: 'mls: The fix was not applied: version mismatch' }]);
  });

  it('answers bad command arguments with InvalidParams naming the argument, and stays up', async () => {
    const { client } = await start();
    const uri = uriOf('src/bad.ts');
    client.open(uri, 'typescript', 'export const a = 1;\n');
    const cases: Array<[string, unknown, RegExp]> = [
      ['mls.nope', { uri }, /Unknown command mls\.nope; known: mls\.fix, mls\.refactor/],
      ['mls.refactor', { uri, instruction: 'x' }, /^arguments\[0\]\.range: /],
      [
        'mls.refactor',
        { uri, range: { start: { line: -1, character: 0 }, end: { line: 0, character: 0 } }, instruction: 'x' },
        /arguments\[0\]\.range\.start\.line/,
      ],
      ['mls.explain', { uri: uriOf('src/not-open.ts'), range: at(0, 0) }, /is not an open document/],
      ['mls.fix', 'not an object', /^arguments\[0\]: /],
      ['mls.refactor', { uri, range: at(0, 0, 1), instruction: 'x'.repeat(4001) }, /arguments\[0\]\.instruction/],
    ];
    for (const [name, args, message] of cases) {
      const error = await command(client, name, args).then(
        () => undefined,
        (e: unknown) => e as { code: number; message: string },
      );
      expect(error, name).toMatchObject({ code: ErrorCodes.InvalidParams, message: expect.stringMatching(message) });
    }
    // A position the API refuses (past the end of the file): an empty list, not an error.
    const list: any = await client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: { line: 40, character: 0 } });
    expect(list).toEqual({ isIncomplete: false, items: [] });
    // A model call that fails upstream: a JSON-RPC error for the command, never a crash.
    h.models.script([{ status: 500 }, { status: 500 }, { status: 500 }]);
    const upstream = await command(client, 'mls.explain', { uri, range: at(0, 0, 5) }).then(
      () => undefined,
      (e: unknown) => e as { code: number; data?: { status?: number } },
    );
    expect(upstream).toMatchObject({ code: ErrorCodes.InternalError, data: { status: 502 } });
    expect((await diagnosticsOf(client, uri, 1)).diagnostics).toEqual([]);
  });

  it('refuses a file over the size limit or with binary content once, without sending it', async () => {
    const { client } = await start();
    const big = uriOf('src/big.ts');
    const mark = client.mark();
    client.open(big, 'typescript', `export const s = "${'x'.repeat(140 * 1024)}";\n`);
    client.change(big, at(0, 0), '// more\n');
    const binary = uriOf('src/binary.ts');
    client.open(binary, 'typescript', 'export const a = 1;\u0001\n');
    await client.waitFor('window/showMessage', (p) => p.message.includes('binary.ts'), { after: mark });
    await new Promise((r) => setTimeout(r, 300));
    const messages = client.all('window/showMessage', mark).map((m) => m.message);
    expect(messages.sort()).toEqual([
      expect.stringMatching(/big\.ts is over 128 KiB or not text/),
      expect.stringMatching(/binary\.ts is over 128 KiB or not text/),
    ]);
    expect(client.all('textDocument/publishDiagnostics', mark)).toEqual([]);
  });
});

describe('mls lsp: roles and reachability', () => {
  it('gives a viewer diagnostics, and says once that model help needs another role', async () => {
    const res = await h.rt.fetchJson('/v1/api-keys', {
      method: 'POST',
      headers: { 'x-api-key': h.rt.apiKey },
      json: { name: 'lsp viewer', role: 'viewer' },
    });
    expect(res.status, res.text).toBe(201);
    const { client } = await start({ key: res.body.apiKey });
    const uri = uriOf('src/viewer.ts');
    client.open(uri, 'typescript', 'const point = { alpha: 1 };\nexport const n: number = point;\n');
    const { diagnostics } = await diagnosticsOf(client, uri, 1);
    expect(diagnostics.map((d: any) => d.code)).toEqual([2322]);
    for (let i = 0; i < 3; i++) {
      const list: any = await client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: { line: 1, character: 25 } });
      expect(list.items).toEqual([]);
      const actions: any = await client.connection.sendRequest(CodeActionRequest.type, {
        textDocument: { uri },
        range: at(1, 13),
        context: { diagnostics, triggerKind: 2 },
      });
      expect(actions).toEqual([]);
    }
    const messages = client.all('window/showMessage').map((m) => m.message);
    expect(messages).toEqual([
      expect.stringMatching(/^mls: Completion: not available to your role \(403/),
      expect.stringMatching(/^mls: Quick fixes: not available to your role \(403/),
    ]);
  });

  it('says once that the platform is unreachable, keeps serving, and shuts down cleanly', async () => {
    const { client } = await start({ args: ['--url', 'http://127.0.0.1:1', '--key', 'mls_whatever'] });
    const uri = uriOf('src/offline.ts');
    client.open(uri, 'typescript', 'export const a = 1;\n');
    client.open(uriOf('src/offline2.ts'), 'typescript', 'export const b = 2;\n');
    for (let i = 0; i < 3; i++) client.change(uri, at(0, 0), '// edit\n');
    const list: any = await client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: { line: 0, character: 0 } });
    expect(list).toEqual({ isIncomplete: false, items: [] });
    await client.waitFor('window/showMessage');
    await new Promise((r) => setTimeout(r, 400));
    expect(client.all('window/showMessage')).toEqual([
      { type: 2, message: expect.stringMatching(/^mls: Cannot reach the platform at http:\/\/127\.0\.0\.1:1 .*resume once the platform answers/) },
    ]);
    expect(client.all('textDocument/publishDiagnostics')).toEqual([]);
    // The key never reaches the editor's messages nor the log.
    expect(JSON.stringify(client.received) + client.stderr()).not.toContain('mls_whatever');
  });

  it('finds the platform through .mls/local.json once `npm start` has written it, and resumes', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'mls-lsp-discovery-'));
    try {
      const { client } = await start({ args: [], root: pathToFileURL(folder).href });
      const uri = pathToFileURL(path.join(folder, 'a.ts')).href;
      client.open(uri, 'typescript', 'export const n: number = "1";\n');
      const said = await client.waitFor('window/showMessage');
      expect(said.message).toMatch(/No platform found: start one with `npm start`/);
      await mkdir(path.join(folder, '.mls'));
      await writeFile(path.join(folder, '.mls', 'local.json'), JSON.stringify({ restUrl: h.rt.restUrl, wsUrl: h.rt.wsUrl, apiKey: h.rt.apiKey }));
      client.change(uri, at(0, 0), '// now\n');
      expect((await diagnosticsOf(client, uri, 2)).diagnostics).toEqual([expect.objectContaining({ code: 2322, range: at(1, 13, 14) })]);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});

describe('mls lsp: live workspace', () => {
  it("shows the user's file and line on the workspace channel, and publishes the analyses of shared files there", async () => {
    const created = await h.rt.fetchJson('/v1/workspaces', { method: 'POST', headers: { 'x-api-key': h.rt.apiKey }, json: { name: 'Pairing' } });
    expect(created.status, created.text).toBe(201);
    const workspaceId = created.body.workspaceId as string;
    const channel = `workspace:${workspaceId}`;
    const observer = await h.rt.connect(h.admin);
    try {
      expect(await request(observer, { action: 'subscribe', channel })).toMatchObject({ type: 'subscribed' });
      const { client } = await start({ args: ['--url', h.rt.restUrl, '--key', h.rt.apiKey, '--workspace', workspaceId, '--ws-url', h.rt.wsUrl] });
      const joined = await observer.nextMessage((m) => isEvent(channel, 'presence.join')(m) && m.event.data.userId !== 'user-admin');
      const lspUser = joined.event.data.userId as string;
      expect(lspUser).toMatch(/^apikey:/);

      const uri = uriOf('src/app.ts');
      client.open(uri, 'typescript', APP);
      await diagnosticsOf(client, uri, 1);
      const isBody = (type: string, filePath: string) => (m: any) =>
        isEvent(channel, 'message')(m) && m.event.data.body?.type === type && m.event.data.body.path === filePath;
      const shared = await observer.nextMessage(isBody('ide.diagnostics', 'src/app.ts'));
      expect(shared.event.data).toEqual({
        userId: lspUser,
        body: {
          type: 'ide.diagnostics',
          path: 'src/app.ts',
          analyzer: { name: 'typescript', version: expect.any(String) },
          counts: { error: 1, warning: 0, information: 0, hint: 0 },
          diagnostics: [
            {
              range: at(1, 31, 32),
              severity: 'error',
              code: 2345,
              message: "Argument of type 'number' is not assignable to parameter of type 'string'.",
              source: 'ts',
            },
          ],
          truncated: false,
        },
      });
      client.change(uri, at(1, 0), '\n');
      const moved = await observer.nextMessage((m) => isBody('ide.presence', 'src/app.ts')(m) && m.event.data.body.line === 1);
      expect(moved.event.data.body).toEqual({ type: 'ide.presence', path: 'src/app.ts', line: 1, character: 0, editor: 'test-editor' });

      // A file outside the project is nobody's business: neither its position nor its analysis is shared.
      const outside = await mkdtemp(path.join(tmpdir(), 'mls-lsp-outside-'));
      const privateUri = pathToFileURL(path.join(outside, 'secret.ts')).href;
      client.open(privateUri, 'typescript', 'export const n: number = "1";\n');
      await diagnosticsOf(client, privateUri, 1);
      client.change(uri, at(0, 0), '\n');
      await observer.nextMessage((m) => isBody('ide.presence', 'src/app.ts')(m) && m.event.data.body.line === 0);
      expect(JSON.stringify(observer.messages)).not.toContain('secret');
      await rm(outside, { recursive: true, force: true });

      // Leaving (shutdown + exit) ends the presence.
      expect(await clients.splice(0)[0]!.stop()).toBe(0);
      expect((await observer.nextMessage(isEvent(channel, 'presence.leave'))).event.data.userId).toBe(lspUser);
    } finally {
      await observer.close();
    }
  });

  it('says once that a workspace is not available, and keeps serving diagnostics', async () => {
    const { client } = await start({
      args: ['--url', h.rt.restUrl, '--key', h.rt.apiKey, '--ws-url', h.rt.wsUrl],
      init: { workspace: 'wsp_doesNotExist12345' },
    });
    const said = await client.waitFor('window/showMessage');
    expect(said).toEqual({ type: 1, message: expect.stringMatching(/^mls: Live workspace wsp_doesNotExist12345 is not available/) });
    const uri = uriOf('src/alone.ts');
    client.open(uri, 'typescript', 'export const n: number = "1";\n');
    expect((await diagnosticsOf(client, uri, 1)).diagnostics).toHaveLength(1);
    expect(client.all('window/showMessage')).toHaveLength(1);
  });
});
