/**
 * `mls mcp-bridge` driven as MCP clients drive stdio servers: the official SDK's stdio client spawns it, in
 * both protocol revisions, against the local runtime. Each client has its own bridge process and so its own
 * upstream; stdout carries JSON-RPC only; upstream failures are JSON-RPC errors; closing stdin ends it cleanly.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAgent, startHarness, type Harness } from '../agents/executions/execution-fixtures.ts';
import { resultJson, revisions, type Revision } from './mcp-helpers.ts';

const MLS = path.resolve(import.meta.dirname, '../../cli/mls.ts');

let h: Harness;
let agentId: string;
beforeAll(async () => {
  h = await startHarness();
  agentId = await createAgent(h, { provider: 'openai', systemPrompt: 'Bridge test agent.' });
});
afterAll(() => h?.stop());
beforeEach(() => h.models.reset());

const bridgeArgs = (key = h.rt.apiKey) => [MLS, 'mcp-bridge', '--url', h.rt.restUrl, '--key', key];

const connectBridge = async (revision: Revision, key?: string): Promise<{ client: Client; stderr: () => string }> => {
  const transport = new StdioClientTransport({ command: process.execPath, args: bridgeArgs(key), stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const client = new Client({ name: 'bridge-test', version: '1.0.0' }, { versionNegotiation: { mode: revision.negotiation.mode } });
  await client.connect(transport);
  return { client, stderr: () => stderr };
};

describe.each(revisions)('through the bridge, MCP $name', (revision) => {
  it('lists tools and runs an agent to completion', async () => {
    const { client } = await connectBridge(revision);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['list_agents', 'run_agent', 'get_execution']));
      h.models.script([{ text: 'Bridged answer.' }]);
      const out = resultJson(await client.callTool({ name: 'run_agent', arguments: { agentId, text: 'hello' } }));
      expect(out).toMatchObject({ status: 'succeeded', answer: 'Bridged answer.' });
      const resource = await client.readResource({ uri: `mls://agents/${agentId}` });
      expect(JSON.parse((resource.contents[0] as { text: string }).text)).toMatchObject({ agentId, systemPrompt: 'Bridge test agent.' });
    } finally {
      await client.close();
    }
  });
});

describe('mls mcp-bridge', () => {
  it('gives each client its own upstream: concurrent clients with different credentials stay apart', async () => {
    const viewerKey = await mintApiKey('viewer');
    const [admin, viewer] = await Promise.all([connectBridge(revisions[1]), connectBridge(revisions[0], viewerKey)]);
    try {
      h.models.script([{ text: 'Only the admin ran this.' }]);
      const [adminRun, viewerRun] = await Promise.all([
        admin.client.callTool({ name: 'run_agent', arguments: { agentId, text: 'go' } }),
        viewer.client.callTool({ name: 'run_agent', arguments: { agentId, text: 'go' } }),
      ]);
      expect(resultJson(adminRun)).toMatchObject({ status: 'succeeded', answer: 'Only the admin ran this.' });
      expect(viewerRun.isError).toBe(true);
      expect(resultJson(viewerRun)).toMatchObject({ status: 403 });
    } finally {
      await Promise.all([admin.client.close(), viewer.client.close()]);
    }
  });

  it('answers a request the platform refuses with a JSON-RPC error, not text on stdout', async () => {
    const { stdout, stderr, code } = await runBridge(
      [
        JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
        'this is not json',
        JSON.stringify([{ jsonrpc: '2.0', id: 2, method: 'ping' }]),
      ],
      'mls_not_a_real_key',
    );
    expect(code).toBe(0);
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual(
      expect.arrayContaining([
        { jsonrpc: '2.0', id: 1, error: expect.objectContaining({ code: -32603, message: expect.stringMatching(/401/), data: { status: 401 } }) },
        { jsonrpc: '2.0', id: null, error: expect.objectContaining({ code: -32700 }) },
        { jsonrpc: '2.0', id: null, error: expect.objectContaining({ code: -32600, message: expect.stringMatching(/batch/) }) },
      ]),
    );
    expect(lines).toHaveLength(3);
    expect(stderr).toMatch(/401/);
    expect(stdout + stderr).not.toContain('mls_not_a_real_key');
  });

  it('writes the answers in flight after stdin closes, then exits 0', async () => {
    const { stdout, code } = await runBridge([JSON.stringify({ jsonrpc: '2.0', id: 'a', method: 'tools/list' })]);
    expect(code).toBe(0);
    const [answer] = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(answer).toMatchObject({ id: 'a', result: { tools: expect.any(Array) } });
  });

  it('exits 0 at once when stdin is closed before anything was sent', async () => {
    const { stdout, code } = await runBridge([]);
    expect(code).toBe(0);
    expect(stdout).toBe('');
  });
});

/** Spawns the bridge, writes `lines` to its stdin, closes it, and waits for it to exit. */
const runBridge = async (lines: string[], key?: string): Promise<{ stdout: string; stderr: string; code: number | null }> => {
  const child = spawn(process.execPath, bridgeArgs(key), { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => {
    stdout += String(c);
  });
  child.stderr.on('data', (c) => {
    stderr += String(c);
  });
  for (const line of lines) child.stdin.write(`${line}\n`);
  child.stdin.end();
  const [code] = (await once(child, 'exit')) as [number | null];
  return { stdout, stderr, code };
};

const mintApiKey = async (role: string): Promise<string> => {
  const res = await h.rt.fetchJson('/v1/api-keys', { method: 'POST', headers: { 'x-api-key': h.rt.apiKey }, json: { name: `bridge ${role}`, role } });
  expect(res.status, res.text).toBe(201);
  return res.body.apiKey;
};
