/**
 * `mls mcp-lsp` driving a real language server from npm (pyright's `pyright-langserver --stdio`), used by the
 * official MCP client SDK over stdio in both protocol revisions: the tools the server offers, 1-based
 * positions both ways, documents read from disk (and re-read when they change), edits returned and never
 * applied, errors as tool errors, stdout carrying MCP only, a clean exit when stdin closes.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client, type CallToolResult } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revisions } from './mcp-helpers.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const mls = path.join(root, 'cli/mls.ts');
const pyright = path.join(root, 'node_modules/.bin/pyright-langserver');

const APP = `def add(a: int, b: int) -> int:
    return a + b


total: int = add(1, 2)
label: str = add(3, 4)
print(total)
`;

let workspace: string;
let appUri: string;

beforeAll(async () => {
  workspace = await mkdtemp(path.join(tmpdir(), 'mls-mcp-lsp-'));
  await writeFile(path.join(workspace, 'app.py'), APP);
  appUri = pathToFileURL(path.join(workspace, 'app.py')).href;
});
afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
});

const connect = async (revision: (typeof revisions)[number]) => {
  const client = new Client({ name: 'mls-test', version: '1.0.0' }, { versionNegotiation: { mode: revision.negotiation.mode } });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [mls, 'mcp-lsp', '--root', workspace, '--', pyright, '--stdio'],
    stderr: 'pipe',
  });
  await client.connect(transport);
  return client;
};

const call = async (client: Client, name: string, args: Record<string, unknown>) =>
  (await client.callTool({ name, arguments: args })) as CallToolResult;
const resultOf = (r: CallToolResult): any => (r.structuredContent as { result: unknown }).result;

describe.each(revisions)('mls mcp-lsp with pyright, MCP $name', (revision) => {
  let client: Client;
  beforeAll(async () => {
    client = await connect(revision);
  });
  afterAll(async () => {
    await client?.close();
  });

  it('negotiates the revision and lists the tools pyright offers (it has no formatter, so no format tool)', async () => {
    expect(client.getNegotiatedProtocolVersion()).toBe(revision.name);
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'diagnostics',
        'hover',
        'definition',
        'references',
        'rename',
        'document_symbols',
        'completion',
        'signature_help',
        'code_actions',
      ]),
    );
    expect(names).not.toContain('format_document');
    const hover = (await client.listTools()).tools.find((t) => t.name === 'hover')!;
    expect(hover.inputSchema).toMatchObject({ type: 'object', required: expect.arrayContaining(['uri', 'line', 'column']) });
  });

  it("diagnostics: pyright's type error with a 1-based range", async () => {
    const r = await call(client, 'diagnostics', { uri: 'app.py' });
    expect(r.isError).toBeFalsy();
    const items = resultOf(r).items as Array<{ range: unknown; message: string; severity: number }>;
    expect(items).toEqual([
      expect.objectContaining({
        severity: 1,
        message: expect.stringContaining('"int" is not assignable to declared type "str"'),
        // `add(3, 4)` on line 6 starts at column 14.
        range: { start: { line: 6, column: 14 }, end: { line: 6, column: 23 } },
      }),
    ]);
    // The text mirrors the structured result for clients that read text only.
    expect(JSON.parse((r.content[0] as { text: string }).text)).toEqual(r.structuredContent);
  });

  it('definition, references and hover translate positions both ways', async () => {
    // `add` in `total: int = add(1, 2)` (line 5, column 14) is defined at line 1, column 5.
    const def = resultOf(await call(client, 'definition', { uri: 'app.py', line: 5, column: 14 }));
    expect(def).toEqual([{ uri: appUri, range: { start: { line: 1, column: 5 }, end: { line: 1, column: 8 } } }]);
    const refs = resultOf(await call(client, 'references', { uri: appUri, line: 1, column: 5 }));
    expect(refs.map((l: { range: { start: unknown } }) => l.range.start)).toEqual([
      { line: 1, column: 5 },
      { line: 5, column: 14 },
      { line: 6, column: 14 },
    ]);
    const hover = resultOf(await call(client, 'hover', { uri: 'app.py', line: 1, column: 5 }));
    expect(hover.contents.value).toMatch(/\(function\) def add\(\s*a: int,\s*b: int\s*\) -> int/);
    expect(hover.range).toEqual({ start: { line: 1, column: 5 }, end: { line: 1, column: 8 } });
  });

  it('rename returns the edits and applies none', async () => {
    const edit = resultOf(await call(client, 'rename', { uri: 'app.py', line: 1, column: 5, newName: 'plus' }));
    const edits = edit.documentChanges?.[0]?.edits ?? edit.changes?.[appUri];
    expect(edits.map((e: { newText: string }) => e.newText)).toEqual(['plus', 'plus', 'plus']);
    expect(await readFile(path.join(workspace, 'app.py'), 'utf8')).toBe(APP);
  });

  it('document symbols, completion and signature help', async () => {
    const symbols = resultOf(await call(client, 'document_symbols', { uri: 'app.py' }));
    expect(symbols.map((s: { name: string }) => s.name)).toEqual(expect.arrayContaining(['add', 'total', 'label']));
    const completion = resultOf(await call(client, 'completion', { uri: 'app.py', line: 7, column: 3 }));
    expect(completion.items.map((i: { label: string }) => i.label)).toContain('print');
    // Inside `add(1, 2)`: the call's signature, the active parameter.
    const help = resultOf(await call(client, 'signature_help', { uri: 'app.py', line: 5, column: 18 }));
    expect(help.signatures[0].label).toBe('(a: int, b: int) -> int');
  });

  it('errors are tool errors the caller reads: a missing file, a bad position', async () => {
    const missing = await call(client, 'hover', { uri: 'missing.py', line: 1, column: 1 });
    expect(missing.isError).toBe(true);
    expect((missing.content[0] as { text: string }).text).toContain('ENOENT');
    const zero = await client.callTool({ name: 'hover', arguments: { uri: 'app.py', line: 0, column: 1 } }).catch((e: Error) => e);
    // The SDK answers invalid arguments as a tool error or a -32602; either way nothing crashes.
    if (zero instanceof Error) expect(zero.message).toMatch(/line|-32602|Invalid/i);
    else expect((zero as CallToolResult).isError).toBe(true);
    expect((await call(client, 'document_symbols', { uri: 'app.py' })).isError).toBeFalsy();
  });
});

describe('mls mcp-lsp as a process', () => {
  it('re-reads a document that changed on disk', async () => {
    const file = path.join(workspace, 'changing.py');
    await writeFile(file, 'x: int = "one"\n');
    const client = await connect(revisions[0]);
    try {
      const before = resultOf(await call(client, 'diagnostics', { uri: 'changing.py' }));
      expect(before.items).toHaveLength(1);
      await writeFile(file, 'x: int = 1\n');
      const after = resultOf(await call(client, 'diagnostics', { uri: 'changing.py' }));
      expect(after.items).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('exits 0 when stdin closes, having written nothing but MCP on stdout', async () => {
    const child = spawn(process.execPath, [mls, 'mcp-lsp', '--root', workspace, '--', pyright, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stdin.write(
      `${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } })}\n`,
    );
    await new Promise<void>((resolve) => {
      const check = () => (stdout.includes('"id":1') ? resolve() : setTimeout(check, 50));
      check();
    });
    child.stdin.end();
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    for (const line of stdout.trim().split('\n')) expect(JSON.parse(line)).toMatchObject({ jsonrpc: '2.0' });
  });

  it('a language server that cannot start is a clear error on stderr and exit code 1', async () => {
    const child = spawn(process.execPath, [mls, 'mcp-lsp', '--', path.join(workspace, 'no-such-server'), '--stdio'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('no-such-server');
  });

  it('usage errors exit 2', async () => {
    const child = spawn(process.execPath, [mls, 'mcp-lsp', '--root', workspace], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    expect(await new Promise<number | null>((resolve) => child.once('exit', resolve))).toBe(2);
    expect(stderr).toContain('after --');
  });
});
