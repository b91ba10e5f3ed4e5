/**
 * The MCP endpoint through the local runtime, driven by the official MCP client SDK in both revisions it
 * serves (2025-11-25 with its initialize handshake, 2026-07-28 stateless with server/discover): the tool
 * catalog, an agent run to completion against the scripted model server, resources and prompts, tenant and
 * role rules, and the protocol's own errors for bad input.
 */
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAgent, createTenant, startHarness, waitForExecution, type Harness } from '../agents/executions/execution-fixtures.ts';
import { connectMcp, rawMcp, resultJson, revisions } from './mcp-helpers.ts';

let h: Harness;
let agentId: string;
let otherTenantAgent: string;

beforeAll(async () => {
  h = await startHarness();
  agentId = await createAgent(h, { provider: 'openai', systemPrompt: 'You answer in one short sentence.' });
  otherTenantAgent = await createAgent(h, { provider: 'openai', tenantId: await createTenant(h) });
});
afterAll(() => h?.stop());
beforeEach(() => h.models.reset());

const toolNames = [
  'validate_protocol_message',
  'translate_protocol_message',
  'list_agents',
  'get_agent',
  'run_agent',
  'get_execution',
  'cancel_execution',
  'approve_execution',
  'analyze_code',
  'complete_code',
  'fix_code',
];

describe.each(revisions)('MCP $name', (revision) => {
  let client: Client;
  beforeAll(async () => {
    client = await connectMcp(h.rt.restUrl, { apiKey: h.rt.apiKey }, revision);
  });
  afterAll(() => client?.close());

  it('negotiates the revision and lists the tools with the REST schemas', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(toolNames));
    const run = tools.find((t) => t.name === 'run_agent')!;
    expect(run.inputSchema).toMatchObject({
      type: 'object',
      required: ['agentId'],
      properties: { agentId: { pattern: '^agt_[A-Za-z0-9_-]{8,64}$' }, text: { maxLength: 100_000 }, waitSeconds: { maximum: 25 } },
    });
    expect(run.annotations?.readOnlyHint).toBe(false);
    expect(tools.find((t) => t.name === 'list_agents')!.annotations?.readOnlyHint).toBe(true);
  });

  it('runs an agent to completion and returns its answer', async () => {
    h.models.script([{ text: 'Paris is the capital of France.' }]);
    const result = await client.callTool({ name: 'run_agent', arguments: { agentId, text: 'Capital of France?' } });
    expect(result.isError).toBeFalsy();
    const out = resultJson(result);
    expect(out).toMatchObject({ status: 'succeeded', finished: true, answer: 'Paris is the capital of France.' });
    expect(out.executionId).toMatch(/^exe_/);
    // The model saw the agent's system prompt and the text, as a REST start would send them.
    const sent = JSON.stringify(h.models.requests.at(-1)?.body);
    expect(sent).toContain('You answer in one short sentence.');
    expect(sent).toContain('Capital of France?');

    const execution = resultJson(await client.callTool({ name: 'get_execution', arguments: { executionId: out.executionId } }));
    expect(execution).toMatchObject({ executionId: out.executionId, status: 'succeeded', steps: [{ stepNo: 1, kind: 'model' }] });
  });

  it('returns the execution id and how to follow it when the run outlasts the wait', async () => {
    h.models.script([{ text: 'Slow answer.', tokenDelayMs: 300 }]);
    const out = resultJson(await client.callTool({ name: 'run_agent', arguments: { agentId, text: 'Take your time', waitSeconds: 0 } }));
    expect(out).toMatchObject({ finished: false, answer: null, follow: { resource: `mls://executions/${out.executionId}` } });
    const done = await waitForExecution(h, out.executionId);
    expect(done.output).toEqual({ text: 'Slow answer.' });
  });

  it('reads agents and executions as mls:// resources', async () => {
    const { resources } = await client.listResources();
    expect(resources).toContainEqual(expect.objectContaining({ uri: `mls://agents/${agentId}`, mimeType: 'application/json' }));
    expect(resources.map((r) => r.uri)).not.toContain(`mls://agents/${otherTenantAgent}`);
    const read = await client.readResource({ uri: `mls://agents/${agentId}` });
    const agent = JSON.parse((read.contents[0] as { text: string }).text);
    expect(agent).toMatchObject({ agentId, systemPrompt: 'You answer in one short sentence.' });

    h.models.script([{ text: 'Done.' }]);
    const run = resultJson(await client.callTool({ name: 'run_agent', arguments: { agentId, text: 'Hi' } }));
    const execution = await client.readResource({ uri: `mls://executions/${run.executionId}` });
    expect(JSON.parse((execution.contents[0] as { text: string }).text)).toMatchObject({ status: 'succeeded', steps: [{ kind: 'model' }] });
  });

  it("serves each agent's system prompt as a prompt", async () => {
    const { prompts } = await client.listPrompts();
    expect(prompts).toContainEqual(expect.objectContaining({ name: agentId }));
    const prompt = await client.getPrompt({ name: agentId, arguments: { input: 'Hello' } });
    expect(prompt.messages).toEqual([
      { role: 'user', content: { type: 'text', text: 'You answer in one short sentence.' } },
      { role: 'user', content: { type: 'text', text: 'Hello' } },
    ]);
  });

  it("answers another tenant's agent and execution as not found", async () => {
    const res = await client.callTool({ name: 'get_agent', arguments: { agentId: otherTenantAgent } });
    expect(res.isError).toBe(true);
    expect(resultJson(res)).toMatchObject({ status: 404 });
    const run = await client.callTool({ name: 'run_agent', arguments: { agentId: otherTenantAgent, text: 'hi' } });
    expect(resultJson(run)).toMatchObject({ status: 404 });
    await expect(client.readResource({ uri: `mls://agents/${otherTenantAgent}` })).rejects.toThrow(/not found|No agent/i);
    await expect(client.getPrompt({ name: otherTenantAgent })).rejects.toThrow(/No agent/);
  });

  it('reports bad arguments as tool errors naming the field, and unknown tools as invalid params', async () => {
    const bad = await client.callTool({ name: 'get_agent', arguments: { agentId: 'nope' } });
    expect(bad.isError).toBe(true);
    expect(JSON.stringify(bad.content)).toMatch(/agentId/);
    const empty = await client.callTool({ name: 'run_agent', arguments: { agentId } });
    expect(empty.isError).toBe(true);
    expect(JSON.stringify(empty.content)).toMatch(/Give text, images, or both/);
    await expect(client.callTool({ name: 'no_such_tool', arguments: {} })).rejects.toThrow(/not found/);
  });

  it("analyzes code with the IDE bridge's real analyzer, and completes from the compiler", async () => {
    const files = [{ path: 'src/app.ts', content: 'const n: number = "one";\nexport const m = Math.ma;\n' }];
    const analyzed = await client.callTool({ name: 'analyze_code', arguments: { language: 'typescript', files } });
    expect(analyzed.isError).toBeFalsy();
    expect(resultJson(analyzed).diagnostics).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'src/app.ts', code: 2322, range: { start: { line: 0, character: 6 }, end: { line: 0, character: 7 } } }),
      ]),
    );
    const completed = resultJson(
      await client.callTool({
        name: 'complete_code',
        arguments: { language: 'typescript', files, target: 'src/app.ts', position: { line: 1, character: 24 }, useModel: false },
      }),
    );
    expect(completed.items.map((i: { label: string }) => i.label)).toContain('max');
    const bad = await client.callTool({
      name: 'analyze_code',
      arguments: { language: 'typescript', files: [{ path: '../etc/passwd', content: '' }] },
    });
    expect(bad.isError).toBe(true);
    expect(JSON.stringify(bad.content)).toMatch(/files/);
  });

  it('refuses text PostgreSQL cannot store, and stores nothing', async () => {
    const before = await h.db.query('SELECT count(*)::int AS n FROM executions');
    const res = await client.callTool({ name: 'run_agent', arguments: { agentId, text: 'bad \u0000 byte' } });
    expect(res.isError).toBe(true);
    expect(resultJson(res)).toMatchObject({ status: 400, errors: [{ path: 'arguments.text' }] });
    const after = await h.db.query('SELECT count(*)::int AS n FROM executions');
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });
});

describe('protocol messages over MCP', () => {
  it('validates and translates messages with the registry', async () => {
    const client = await connectMcp(h.rt.restUrl, { apiKey: h.rt.apiKey }, revisions[0]);
    try {
      const good = resultJson(
        await client.callTool({
          name: 'validate_protocol_message',
          arguments: { protocol: 'mcp', version: '2025-11-25', message: { jsonrpc: '2.0', id: 1, method: 'tools/list' } },
        }),
      );
      expect(good).toMatchObject({ valid: true, protocol: 'mcp' });
      const bad = resultJson(
        await client.callTool({
          name: 'validate_protocol_message',
          arguments: { protocol: 'mcp', version: '2025-11-25', message: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 7 } } },
        }),
      );
      expect(bad.valid).toBe(false);
      expect(bad.errors.length).toBeGreaterThan(0);
      const hover = {
        jsonrpc: '2.0',
        id: 3,
        method: 'textDocument/hover',
        params: { textDocument: { uri: 'file:///src/a.ts' }, position: { line: 0, character: 4 } },
      };
      const translated = await client.callTool({ name: 'translate_protocol_message', arguments: { from: 'lsp', to: 'mcp', message: hover } });
      expect(translated.isError).toBeFalsy();
      expect(resultJson(translated)).toMatchObject({ from: 'lsp', to: 'mcp', kind: 'request', message: { method: 'tools/call' } });
      const unmapped = await client.callTool({
        name: 'translate_protocol_message',
        arguments: { from: 'lsp', to: 'mcp', message: { jsonrpc: '2.0', id: 4, method: 'workspace/frobnicate', params: {} } },
      });
      expect(unmapped.isError).toBe(true);
      expect(resultJson(unmapped)).toMatchObject({ status: 422 });
    } finally {
      await client.close();
    }
  });
});

describe('approvals over MCP', () => {
  it('returns a run that waits for a human with the call to make, approves it, and the run finishes', async () => {
    const approver = await createAgent(h, { provider: 'anthropic', tools: ['request_approval'] });
    const client = await connectMcp(h.rt.restUrl, { apiKey: h.rt.apiKey }, revisions[1]);
    try {
      h.models.script([
        { toolCalls: [{ id: 'toolu_ask', name: 'request_approval', arguments: { action: 'Deploy to production' } }] },
        { text: 'Deployed.' },
      ]);
      const waiting = resultJson(await client.callTool({ name: 'run_agent', arguments: { agentId: approver, text: 'Deploy it' } }));
      expect(waiting).toMatchObject({
        status: 'waiting_approval',
        finished: false,
        pendingApproval: { toolCallId: 'toolu_ask', name: 'request_approval' },
        next: expect.stringContaining('approve_execution'),
      });
      const decided = await client.callTool({ name: 'approve_execution', arguments: { executionId: waiting.executionId, decision: 'approve' } });
      expect(decided.isError).toBeFalsy();
      const done = await waitForExecution(h, waiting.executionId);
      expect(done.output).toEqual({ text: 'Deployed.' });
      const again = await client.callTool({ name: 'approve_execution', arguments: { executionId: waiting.executionId, decision: 'approve' } });
      expect(resultJson(again)).toMatchObject({ status: 409 });
    } finally {
      await client.close();
    }
  });
});

describe('roles', () => {
  it('lets a viewer read but not run, cancel or approve', async () => {
    const viewer = await h.rt.mintJwt({ sub: 'user-viewer', roles: ['viewer'] });
    const client = await connectMcp(h.rt.restUrl, { token: viewer }, revisions[1]);
    try {
      const list = resultJson(await client.callTool({ name: 'list_agents', arguments: {} }));
      expect(list.items.map((a: { agentId: string }) => a.agentId)).toContain(agentId);
      const run = await client.callTool({ name: 'run_agent', arguments: { agentId, text: 'hi' } });
      expect(run.isError).toBe(true);
      expect(resultJson(run)).toMatchObject({ status: 403 });
      const cancel = await client.callTool({ name: 'cancel_execution', arguments: { executionId: 'exe_aaaaaaaaaaaaaaaa' } });
      expect(resultJson(cancel)).toMatchObject({ status: 403 });
      expect(h.models.requests).toHaveLength(0);
    } finally {
      await client.close();
    }
  });
});

describe('HTTP and JSON-RPC edges', () => {
  const key = () => ({ 'x-api-key': h.rt.apiKey });

  it('answers 401 without credentials; with no OIDC issuer there is no OAuth to discover', async () => {
    const res = await rawMcp(h.rt.restUrl, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBeNull();
    const metadata = await fetch(`${h.rt.restUrl}/.well-known/oauth-protected-resource/v1/mcp`);
    expect(metadata.status).toBe(404);
  });

  it('answers GET and DELETE with 405 and Allow: POST', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(`${h.rt.restUrl}/v1/mcp`, { method, headers: { ...key(), accept: 'text/event-stream' } });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
    }
  });

  it('answers malformed JSON with a JSON-RPC parse error', async () => {
    const res = await rawMcp(h.rt.restUrl, '{"jsonrpc": "2.0", "id": 1, "method": ', key());
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ jsonrpc: '2.0', error: { code: -32700 } });
  });

  it('refuses batches with invalid request', async () => {
    const res = await rawMcp(h.rt.restUrl, JSON.stringify([{ jsonrpc: '2.0', id: 1, method: 'tools/list' }]), key());
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ error: { code: -32600 } });
  });

  it('answers an unknown method with -32601', async () => {
    const res = await rawMcp(h.rt.restUrl, JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/frobnicate' }), key());
    expect(res.json).toMatchObject({ id: 7, error: { code: -32601 } });
  });

  it('answers wrong params with -32602', async () => {
    const res = await rawMcp(h.rt.restUrl, JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 42 } }), key());
    expect(res.json).toMatchObject({ id: 8, error: { code: -32602 } });
  });

  it('refuses an oversize message before reading it', async () => {
    const text = 'x'.repeat(300 * 1024);
    const res = await rawMcp(
      h.rt.restUrl,
      JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'run_agent', arguments: { agentId, text } } }),
      key(),
    );
    expect(res.status).toBe(413);
    expect(h.models.requests).toHaveLength(0);
  });

  it('answers a notification with 202 and no body', async () => {
    const res = await rawMcp(h.rt.restUrl, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), key());
    expect(res.status).toBe(202);
    expect(res.text).toBe('');
  });
});
