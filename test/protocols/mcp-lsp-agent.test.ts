/**
 * An agent of the platform using a real language server through `mls mcp-lsp --http`: pyright served as MCP
 * tools over Streamable HTTP, registered in `/v1/mcp-servers` with a bearer token, its tools offered to the
 * (scripted) model, a `definition` call made by the model reaching pyright, and the 1-based answer coming back
 * into the conversation. Also: the HTTP endpoint refuses requests without the token and serves both MCP
 * revisions to the official client.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport, type CallToolResult } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, createAgent, startExecution, startHarness, waitForExecution, type Harness } from '../agents/executions/execution-fixtures.ts';
import { revisions } from './mcp-helpers.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const TOKEN = 'mcp-lsp-s3cret';

let h: Harness;
let workspace: string;
let bridge: ChildProcess;
let url: string;

beforeAll(async () => {
  workspace = await mkdtemp(path.join(tmpdir(), 'mls-mcp-lsp-agent-'));
  await writeFile(path.join(workspace, 'shop.py'), 'def price(n: int) -> int:\n    return n * 3\n\n\ntotal = price(4)\n');
  bridge = spawn(
    process.execPath,
    [
      path.join(root, 'cli/mls.ts'),
      'mcp-lsp',
      '--root',
      workspace,
      '--http',
      '0',
      '--token',
      TOKEN,
      '--',
      path.join(root, 'node_modules/.bin/pyright-langserver'),
      '--stdio',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  url = await new Promise<string>((resolve, reject) => {
    let stderr = '';
    bridge.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString();
      const m = /listening on (http:\/\/\S+\/mcp)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    bridge.once('exit', (code) => reject(new Error(`mls mcp-lsp exited ${code}: ${stderr}`)));
  });
  // The language server listens on loopback.
  h = await startHarness({ env: { HTTP_TOOL_ALLOW_PRIVATE_NETWORKS: 'true' } });
});
afterAll(async () => {
  bridge?.kill('SIGTERM');
  if (bridge && bridge.exitCode === null) await new Promise((resolve) => bridge.once('exit', resolve));
  await h?.stop();
  await rm(workspace, { recursive: true, force: true });
});

describe('mls mcp-lsp --http', () => {
  it('refuses a request without the token', async () => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
    });
    expect(res.status).toBe(401);
    expect((await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(405);
  });

  it.each(revisions)('serves the official client in MCP $name', async (revision) => {
    const client = new Client({ name: 'mls-test', version: '1.0.0' }, { versionNegotiation: { mode: revision.negotiation.mode } });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }));
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe(revision.name);
      const r = (await client.callTool({ name: 'definition', arguments: { uri: 'shop.py', line: 5, column: 9 } })) as CallToolResult;
      expect((r.structuredContent as { result: Array<{ range: { start: unknown } }> }).result[0]!.range.start).toEqual({ line: 1, column: 5 });
    } finally {
      await client.close();
    }
  });

  it("an agent uses the language server's tools through /v1/mcp-servers", async () => {
    const registered = await h.rt.fetchJson('/v1/mcp-servers', {
      method: 'POST',
      headers: auth(h.admin),
      json: { name: 'python', url, auth: { value: `Bearer ${TOKEN}` } },
    });
    expect(registered.status, registered.text).toBe(201);
    const agentId = await createAgent(h, { provider: 'openai', tools: [registered.body.toolRef] });
    h.models.script([
      { toolCalls: [{ id: 'call_def', name: 'python__definition', arguments: { uri: 'shop.py', line: 5, column: 9 } }] },
      { text: 'price is defined on line 1.' },
    ]);
    const done = await waitForExecution(h, (await startExecution(h, agentId, { text: 'Where is price defined?' })).executionId);
    expect(done).toMatchObject({ status: 'succeeded', output: { text: 'price is defined on line 1.' } });

    const offered = (h.models.requests[0]!.body as { tools: Array<{ function: { name: string } }> }).tools.map((t) => t.function.name);
    expect(offered).toEqual(
      expect.arrayContaining(['python__diagnostics', 'python__hover', 'python__definition', 'python__references', 'python__rename']),
    );
    // pyright's answer, 1-based, is what the model read next.
    const toolMessage = JSON.stringify(h.models.requests[1]!.body);
    expect(toolMessage).toContain('shop.py');
    expect(toolMessage).toMatch(/\\"start\\":\{\\"line\\":1,\\"column\\":5\}/);
  });
});
