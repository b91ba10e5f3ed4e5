/**
 * `/v1/mcp-servers` and agents using remote MCP servers' tools, end to end through the local runtime: an
 * MCP server built with the official SDK runs in the test, an agent lists it, the scripted model calls its
 * tools, and the calls reach it through the MCP client SDK with the tenant's sealed auth header. Servers that
 * hang, fail, answer 500 or are gone cost a tool error the model reads, never the execution.
 */
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auth, createAgent, createTenant, startExecution, waitForExecution, type Harness } from '../agents/executions/execution-fixtures.ts';
import { startScriptedModelServer } from '../model-server/scripted-model-server.ts';
import { errorPaths, problemOf } from '../support/problem.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { startLyingMcpServer, startRemoteMcpServer, type RemoteMcpServer } from './remote-mcp-server.ts';

let h: Harness;
let remote: RemoteMcpServer;
let legacyRemote: RemoteMcpServer;
const TOKEN = 'remote-s3cret-token';

beforeAll(async () => {
  const models = await startScriptedModelServer();
  const rt = await startTestRuntime({
    env: {
      OPENAI_BASE_URL: models.openaiBaseURL,
      ANTHROPIC_BASE_URL: models.anthropicBaseURL,
      OPENAI_API_KEY: 'test-openai-key',
      ANTHROPIC_API_KEY: 'test-anthropic-key',
      // The remote servers of this test listen on loopback.
      HTTP_TOOL_ALLOW_PRIVATE_NETWORKS: 'true',
    },
  });
  const db = new pg.Pool({ connectionString: rt.databaseUrl, max: 2 });
  const admin = await rt.mintJwt({ sub: 'user-admin', roles: ['admin'] });
  const stop = async () => {
    await db.end();
    await rt.stop();
    await models.close();
  };
  h = { rt, models, db, admin, stop };
  remote = await startRemoteMcpServer({ token: TOKEN });
  legacyRemote = await startRemoteMcpServer({ era: 'legacy' });
});
afterAll(async () => {
  await remote?.close();
  await legacyRemote?.close();
  await h?.stop();
});
beforeEach(() => {
  h.models.reset();
  remote.calls.length = 0;
  remote.failWith(undefined);
});

const register = async (body: Record<string, unknown>, token = h.admin) => {
  const res = await h.rt.fetchJson('/v1/mcp-servers', { method: 'POST', headers: auth(token), json: body });
  expect(res.status, res.text).toBe(201);
  return res.body as { serverId: string; toolRef: string; name: string };
};

let counter = 0;
const uniqueName = (base: string) => `${base}-${++counter}`;

describe('/v1/mcp-servers', () => {
  it('registers a server, keeps the auth value sealed and never returns it', async () => {
    const res = await h.rt.fetchJson('/v1/mcp-servers', {
      method: 'POST',
      headers: auth(h.admin),
      json: { name: uniqueName('github'), url: remote.url, auth: { value: `Bearer ${TOKEN}` }, denyTools: ['secret_*'] },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({
      serverId: expect.stringMatching(/^mcs_/),
      url: remote.url,
      auth: { header: 'Authorization', configured: true },
      allowTools: null,
      denyTools: ['secret_*'],
      enabled: true,
      timeoutSeconds: 30,
      toolRef: `mcp:${res.body.serverId}`,
      version: 1,
    });
    expect(res.text).not.toContain(TOKEN);
    const stored = await h.db.query('SELECT auth_sealed FROM mcp_servers WHERE id = $1', [res.body.serverId]);
    expect(stored.rows[0].auth_sealed).toMatch(/^v1\./);
    expect(stored.rows[0].auth_sealed).not.toContain(TOKEN);

    const got = await h.rt.fetchJson(`/v1/mcp-servers/${res.body.serverId}`, { headers: auth(h.admin) });
    expect(got.status).toBe(200);
    expect(got.text).not.toContain(TOKEN);
    const list = await h.rt.fetchJson('/v1/mcp-servers?limit=100', { headers: auth(h.admin) });
    expect(list.body.items.map((s: { serverId: string }) => s.serverId)).toContain(res.body.serverId);
    expect(list.text).not.toContain(TOKEN);
  });

  it("lists the server's tools as models will see them, with the filtered ones marked", async () => {
    const server = await register({ name: uniqueName('tools'), url: remote.url, auth: { value: `Bearer ${TOKEN}` }, denyTools: ['secret_*'] });
    const res = await h.rt.fetchJson(`/v1/mcp-servers/${server.serverId}/tools`, { headers: auth(h.admin) });
    expect(res.status, res.text).toBe(200);
    expect(res.body.protocolVersion).toBe('2026-07-28');
    const byName = Object.fromEntries(res.body.items.map((t: { name: string }) => [t.name, t]));
    expect(byName.add).toMatchObject({ modelName: `${server.name}__add`, offered: true, inputSchema: { type: 'object' } });
    expect(byName['echo.text'].modelName).toMatch(new RegExp(`^${server.name}__echo_text_[0-9a-f]{8}$`));
    expect(byName.secret_admin).toMatchObject({ offered: false, reason: expect.stringMatching(/denyTools/) });
  });

  it('talks to a server that only speaks the 2025 revision with SSE answers', async () => {
    const server = await register({ name: uniqueName('legacy'), url: legacyRemote.url });
    const res = await h.rt.fetchJson(`/v1/mcp-servers/${server.serverId}/tools`, { headers: auth(h.admin) });
    expect(res.status, res.text).toBe(200);
    expect(res.body.protocolVersion).toBe('2025-11-25');
    expect(res.body.items.map((t: { name: string }) => t.name)).toContain('add');
  });

  it('answers 502 when the server refuses the credentials or fails, without leaking them', async () => {
    const wrong = await register({ name: uniqueName('wrong'), url: remote.url, auth: { value: 'Bearer not-it' } });
    const res = await h.rt.fetchJson(`/v1/mcp-servers/${wrong.serverId}/tools`, { headers: auth(h.admin) });
    expect(res.status).toBe(502);
    problemOf(res);
    expect(res.text).not.toContain('not-it');
    remote.failWith(500);
    const right = await register({ name: uniqueName('broken'), url: remote.url, auth: { value: `Bearer ${TOKEN}` } });
    expect((await h.rt.fetchJson(`/v1/mcp-servers/${right.serverId}/tools`, { headers: auth(h.admin) })).status).toBe(502);
  });

  it('updates fields, replaces and removes the auth header, renames, and deletes', async () => {
    const server = await register({ name: uniqueName('upd'), url: remote.url, auth: { value: `Bearer ${TOKEN}` } });
    const renamed = uniqueName('renamed');
    const res = await h.rt.fetchJson(`/v1/mcp-servers/${server.serverId}`, {
      method: 'PATCH',
      headers: auth(h.admin),
      json: { name: renamed, enabled: false, timeoutSeconds: 5, auth: { header: 'X-Api-Key', value: 'k' } },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ name: renamed, enabled: false, timeoutSeconds: 5, auth: { header: 'X-Api-Key' }, version: 2 });
    const cleared = await h.rt.fetchJson(`/v1/mcp-servers/${server.serverId}`, { method: 'PATCH', headers: auth(h.admin), json: { auth: null } });
    expect(cleared.body.auth).toBeNull();
    const del = await h.rt.fetchJson(`/v1/mcp-servers/${server.serverId}`, { method: 'DELETE', headers: auth(h.admin) });
    expect(del.status).toBe(204);
    expect((await h.rt.fetchJson(`/v1/mcp-servers/${server.serverId}`, { headers: auth(h.admin) })).status).toBe(404);
    expect((await h.rt.fetchJson(`/v1/mcp-servers/${server.serverId}`, { method: 'DELETE', headers: auth(h.admin) })).status).toBe(404);
  });

  it('refuses bad input naming the field, and stores nothing', async () => {
    const before = (await h.db.query('SELECT count(*)::int AS n FROM mcp_servers')).rows[0].n;
    const cases: Array<[unknown, string]> = [
      [{ url: remote.url }, 'body.name'],
      [{ name: 'Bad_Name', url: remote.url }, 'body.name'],
      [{ name: 'ok', url: 'ftp://example.com/mcp' }, 'body.url'],
      [{ name: 'ok', url: 'https://user:pw@example.com/mcp' }, 'body.url'],
      [{ name: 'ok', url: 'http://169.254.169.254/latest' }, 'body.url'],
      [{ name: 'ok', url: 42 }, 'body.url'],
      [{ name: 'ok', url: remote.url, auth: { value: 'line\nbreak' } }, 'body.auth.value'],
      [{ name: 'ok', url: remote.url, auth: { header: 'Content-Type', value: 'x' } }, 'body.auth.header'],
      [{ name: 'ok', url: remote.url, timeoutSeconds: 600 }, 'body.timeoutSeconds'],
      [{ name: 'ok', url: remote.url, denyTools: ['has space'] }, 'body.denyTools.0'],
      [{ name: 'ok', url: remote.url, extra: true }, 'body'],
    ];
    for (const [body, path] of cases) {
      const res = await h.rt.fetchJson('/v1/mcp-servers', { method: 'POST', headers: auth(h.admin), json: body });
      expect(res.status, `${JSON.stringify(body)}: ${res.text}`).toBe(400);
      expect(
        errorPaths(res).some((p) => p.startsWith(path)),
        `${JSON.stringify(body)} -> ${res.text}`,
      ).toBe(true);
    }
    const oversize = await h.rt.fetchJson('/v1/mcp-servers', {
      method: 'POST',
      headers: auth(h.admin),
      json: { name: 'big', url: remote.url, denyTools: Array.from({ length: 3000 }, (_, i) => `tool-${i}-${'x'.repeat(100)}`) },
    });
    expect(oversize.status).toBe(413);
    expect((await h.db.query('SELECT count(*)::int AS n FROM mcp_servers')).rows[0].n).toBe(before);

    const name = uniqueName('dup');
    await register({ name, url: remote.url });
    const dup = await h.rt.fetchJson('/v1/mcp-servers', { method: 'POST', headers: auth(h.admin), json: { name, url: remote.url } });
    expect(dup.status).toBe(409);
    expect((await h.rt.fetchJson('/v1/mcp-servers/not-an-id', { headers: auth(h.admin) })).status).toBe(400);
    expect((await h.rt.fetchJson('/v1/mcp-servers?cursor=bogus', { headers: auth(h.admin) })).status).toBe(400);
  });

  it('keeps tenants apart and lets only admins and developers write', async () => {
    const server = await register({ name: uniqueName('mine'), url: remote.url });
    const other = await h.rt.mintJwt({ sub: 'user-other', tenantId: await createTenant(h), roles: ['admin'] });
    for (const [method, path] of [
      ['GET', `/v1/mcp-servers/${server.serverId}`],
      ['GET', `/v1/mcp-servers/${server.serverId}/tools`],
      ['PATCH', `/v1/mcp-servers/${server.serverId}`],
      ['DELETE', `/v1/mcp-servers/${server.serverId}`],
    ] as const) {
      const res = await h.rt.fetchJson(path, { method, headers: auth(other), ...(method === 'PATCH' && { json: { enabled: false } }) });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    const list = await h.rt.fetchJson('/v1/mcp-servers', { headers: auth(other) });
    expect(list.body.items).toEqual([]);

    const viewer = await h.rt.mintJwt({ sub: 'user-viewer', roles: ['viewer'] });
    expect((await h.rt.fetchJson('/v1/mcp-servers', { method: 'POST', headers: auth(viewer), json: { name: 'v', url: remote.url } })).status).toBe(
      403,
    );
    expect((await h.rt.fetchJson(`/v1/mcp-servers/${server.serverId}`, { method: 'DELETE', headers: auth(viewer) })).status).toBe(403);
    expect((await h.rt.fetchJson(`/v1/mcp-servers/${server.serverId}`, { headers: auth(viewer) })).status).toBe(200);
    expect((await h.rt.fetchJson('/v1/mcp-servers')).status).toBe(401);
  });
});

describe('agents using a remote MCP server', () => {
  it("offers the server's tools to the model and runs its calls with the tenant's credentials", async () => {
    const server = await register({ name: uniqueName('calc'), url: remote.url, auth: { value: `Bearer ${TOKEN}` }, denyTools: ['secret_*'] });
    const agentId = await createAgent(h, { provider: 'openai', tools: ['calculator', server.toolRef] });
    h.models.script([{ toolCalls: [{ id: 'call_add', name: `${server.name}__add`, arguments: { a: 2, b: 40 } }] }, { text: 'The sum is 42.' }]);
    const started = await startExecution(h, agentId, { text: 'Add 2 and 40 with the remote tool' });
    const done = await waitForExecution(h, started.executionId);
    expect(done).toMatchObject({ status: 'succeeded', output: { text: 'The sum is 42.' } });

    const offered = (h.models.requests[0]!.body as { tools: Array<{ function: { name: string } }> }).tools.map((t) => t.function.name);
    expect(offered).toEqual(expect.arrayContaining(['calculator', `${server.name}__add`, `${server.name}__fail`]));
    expect(offered.some((n) => n.includes('secret_admin'))).toBe(false);
    expect(remote.calls).toEqual([{ tool: 'add', args: { a: 2, b: 40 }, authorization: `Bearer ${TOKEN}` }]);
    expect(JSON.stringify(h.models.requests[1]!.body)).toContain('"sum\\":42');
  });

  it('maps renamed tools back to their real names', async () => {
    const server = await register({ name: uniqueName('echo'), url: remote.url, auth: { value: `Bearer ${TOKEN}` } });
    const tools = await h.rt.fetchJson(`/v1/mcp-servers/${server.serverId}/tools`, { headers: auth(h.admin) });
    const modelName = tools.body.items.find((t: { name: string }) => t.name === 'echo.text').modelName;
    const agentId = await createAgent(h, { provider: 'anthropic', tools: [server.toolRef] });
    h.models.script([{ toolCalls: [{ name: modelName, arguments: { text: 'hello there' } }] }, { text: 'Echoed.' }]);
    const done = await waitForExecution(h, (await startExecution(h, agentId, { text: 'echo' })).executionId);
    expect(done.status).toBe('succeeded');
    expect(remote.calls).toEqual([{ tool: 'echo.text', args: { text: 'hello there' }, authorization: `Bearer ${TOKEN}` }]);
  });

  it('turns a failing, hanging, denied or broken remote tool into tool errors the model reads', async () => {
    const server = await register({
      name: uniqueName('flaky'),
      url: remote.url,
      auth: { value: `Bearer ${TOKEN}` },
      denyTools: ['secret_*'],
      timeoutSeconds: 1,
    });
    const agentId = await createAgent(h, { provider: 'openai', tools: [server.toolRef] });
    h.models.script([
      {
        toolCalls: [
          { id: 'c_fail', name: `${server.name}__fail`, arguments: {} },
          { id: 'c_hang', name: `${server.name}__hang`, arguments: {} },
          { id: 'c_deny', name: `${server.name}__secret_admin`, arguments: {} },
          { id: 'c_nope', name: `${server.name}__nope`, arguments: {} },
        ],
      },
      { text: 'Everything failed, sorry.' },
    ]);
    const done = await waitForExecution(h, (await startExecution(h, agentId, { text: 'try them' })).executionId);
    expect(done).toMatchObject({ status: 'succeeded', output: { text: 'Everything failed, sorry.' } });
    const steps = (await h.rt.fetchJson(`/v1/executions/${done.executionId}/steps?limit=100`, { headers: auth(h.admin) })).body.items;
    const errors = Object.fromEntries(
      steps.filter((s: { kind: string }) => s.kind === 'tool').map((s: { toolCallId: string; error: unknown }) => [s.toolCallId, s.error]),
    );
    expect(errors.c_fail).toMatchObject({ type: 'tool_failed', message: 'the remote tool broke' });
    expect(errors.c_hang).toMatchObject({ type: 'timeout' });
    expect(errors.c_deny).toMatchObject({ type: 'unknown_tool' });
    expect(errors.c_nope).toMatchObject({ type: 'upstream_error' });
    expect(remote.calls.map((c) => c.tool).sort()).toEqual(['fail', 'hang']);
  });

  it('goes on without the tools of a server that is down, disabled or deleted', async () => {
    const down = await register({ name: uniqueName('down'), url: remote.url, auth: { value: `Bearer ${TOKEN}` } });
    const agentId = await createAgent(h, { provider: 'openai', tools: ['calculator', down.toolRef] });
    remote.failWith(500);
    h.models.script([{ toolCalls: [{ name: `${down.name}__add`, arguments: { a: 1, b: 1 } }] }, { text: 'Could not reach it.' }]);
    const done = await waitForExecution(h, (await startExecution(h, agentId, { text: 'add' })).executionId);
    expect(done.status).toBe('succeeded');
    const offered = (h.models.requests[0]!.body as { tools: Array<{ function: { name: string } }> }).tools.map((t) => t.function.name);
    expect(offered).toEqual(['calculator']);
    const steps = (await h.rt.fetchJson(`/v1/executions/${done.executionId}/steps?limit=100`, { headers: auth(h.admin) })).body.items;
    expect(steps.find((s: { kind: string }) => s.kind === 'tool').error).toMatchObject({ type: 'upstream_error' });

    remote.failWith(undefined);
    await h.rt.fetchJson(`/v1/mcp-servers/${down.serverId}`, { method: 'DELETE', headers: auth(h.admin) });
    h.models.reset();
    h.models.script([{ text: 'Fine without it.' }]);
    const after = await waitForExecution(h, (await startExecution(h, agentId, { text: 'again' })).executionId);
    expect(after.status).toBe('succeeded');
  });

  it('treats a server that lies about its tool schemas as failing: 502 on listing, its tools left out of runs', async () => {
    const liar = await startLyingMcpServer();
    try {
      const server = await register({ name: uniqueName('liar'), url: liar.url });
      const listed = await h.rt.fetchJson(`/v1/mcp-servers/${server.serverId}/tools`, { headers: auth(h.admin) });
      expect(listed.status).toBe(502);
      problemOf(listed);
      const agentId = await createAgent(h, { provider: 'openai', tools: ['calculator', server.toolRef] });
      h.models.script([{ text: 'Went on without it.' }]);
      const done = await waitForExecution(h, (await startExecution(h, agentId, { text: 'hi' })).executionId);
      expect(done).toMatchObject({ status: 'succeeded', output: { text: 'Went on without it.' } });
      const offered = (h.models.requests[0]!.body as { tools: Array<{ function: { name: string } }> }).tools.map((t) => t.function.name);
      expect(offered).toEqual(['calculator']);
    } finally {
      await liar.close();
    }
  });

  it('refuses an agent that lists a server the tenant does not have', async () => {
    const otherTenant = await createTenant(h);
    const otherAdmin = await h.rt.mintJwt({ sub: 'user-o', tenantId: otherTenant, roles: ['admin'] });
    const theirs = await register({ name: uniqueName('theirs'), url: remote.url }, otherAdmin);
    for (const tools of [['mcp:mcs_doesNotExist1'], [theirs.toolRef], ['calculator', 'mcp:not-an-id']]) {
      const res = await h.rt.fetchJson('/v1/agents', {
        method: 'POST',
        headers: auth(h.admin),
        json: { name: 'a', model: { provider: 'openai', name: 'gpt-4o-mini' }, tools },
      });
      expect(res.status, res.text).toBe(400);
      expect(errorPaths(res)).toEqual([`body.tools.${tools.length - 1}`]);
    }
  });
});
