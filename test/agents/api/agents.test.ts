/**
 * The agents API as a client sees it, over HTTP through the local runtime (gateway, authorizer, handlers,
 * PostgreSQL): agents CRUD with versions, the tool catalog, roles, tenant isolation, bad input and
 * per-agent analytics over fixture executions.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type JsonResponse, type TestRuntime } from '../../support/runtime.ts';
import { errorPaths, problemOf } from '../../support/problem.ts';

let rt: TestRuntime;
let db: pg.Pool;
let developer: Record<string, string>;
let viewer: Record<string, string>;
let tenantB: Record<string, string>;

beforeAll(async () => {
  rt = await startTestRuntime();
  db = new pg.Pool({ connectionString: rt.databaseUrl, max: 1 });
  developer = { authorization: `Bearer ${await rt.mintJwt({ sub: 'dev-1', roles: ['developer'] })}` };
  viewer = { authorization: `Bearer ${await rt.mintJwt({ sub: 'viewer-1', roles: ['viewer'] })}` };
  const b = await rt.fetchJson('/v1/tenants', { method: 'POST', json: { name: 'Tenant B' }, headers: { 'x-api-key': rt.apiKey } });
  expect(b.status).toBe(201);
  tenantB = { 'x-api-key': b.body.adminKey.apiKey };
});
afterAll(async () => {
  await db?.end();
  await rt?.stop();
});

type Init = RequestInit & { json?: unknown };
/** A cursor as a client could craft one (the real ones are base64url JSON too). */
const crafted = (position: object) => Buffer.from(JSON.stringify(position)).toString('base64url');
const as = (headers: Record<string, string>, init: Init = {}): Init => ({
  ...init,
  headers: { ...headers, ...(init.headers as Record<string, string>) },
});

/** Agent and version rows, to check that rejected requests change nothing. */
const snapshot = async () =>
  (
    await db.query(`SELECT (SELECT count(*) FROM agents)::int AS agents, (SELECT count(*) FROM agent_versions)::int AS versions,
     (SELECT coalesce(sum(version), 0) FROM agents)::int AS "versionSum", (SELECT count(*) FROM agents WHERE deleted_at IS NOT NULL)::int AS deleted`)
  ).rows[0];

const validAgent = {
  name: 'support-bot',
  description: 'Answers questions',
  systemPrompt: 'You are helpful.',
  model: { provider: 'openai', name: 'gpt-4o-mini', temperature: 0.2, maxTokens: 512 },
  tools: ['calculator'],
};

const createAgent = async (overrides: Record<string, unknown> = {}, headers = developer) => {
  const res = await rt.fetchJson('/v1/agents', as(headers, { method: 'POST', json: { ...validAgent, ...overrides } }));
  expect(res.status, res.text).toBe(201);
  return res.body as { agentId: string; version: number } & Record<string, unknown>;
};

describe('OpenAPI', () => {
  it('documents the agents, files, tools and analytics routes', async () => {
    const res = await rt.fetchJson('/openapi.json');
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/agents',
        '/v1/agents/{agentId}',
        '/v1/agents/{agentId}/versions',
        '/v1/files',
        '/v1/files/{fileId}',
        '/v1/tools',
        '/v1/analytics/agents/{agentId}',
      ]),
    );
    expect(res.body.components.schemas).toHaveProperty('CreateAgentRequest');
  });
});

describe('GET /v1/tools', () => {
  it('lists the built-in tools with their JSON Schemas', async () => {
    const res = await rt.fetchJson('/v1/tools', as(viewer));
    expect(res.status).toBe(200);
    const byName = new Map(res.body.items.map((t: { name: string }) => [t.name, t]));
    expect([...byName.keys()]).toEqual(expect.arrayContaining(['calculator', 'http_request', 'read_file', 'write_file', 'request_approval']));
    expect(byName.get('calculator')).toMatchObject({
      description: expect.any(String),
      needsApproval: false,
      inputSchema: { type: 'object', properties: expect.any(Object) },
    });
    expect(byName.get('request_approval')).toMatchObject({ needsApproval: true });
  });
});

describe('agents CRUD', () => {
  it('creates, reads, updates (version grows, one version row each), lists versions and soft-deletes an agent', async () => {
    const created = await createAgent({}, developer);
    expect(created).toEqual({
      agentId: expect.stringMatching(/^agt_/),
      ...validAgent,
      maxSteps: 10,
      version: 1,
      createdBy: 'dev-1',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });

    const got = await rt.fetchJson(`/v1/agents/${created.agentId}`, as(viewer));
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created);
    expect(got.headers.get('etag')).toBe('"1"');

    const renamed = await rt.fetchJson(`/v1/agents/${created.agentId}`, as(developer, { method: 'PATCH', json: { name: 'helpdesk' } }));
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.body).toMatchObject({ ...validAgent, name: 'helpdesk', version: 2, maxSteps: 10 });

    const retooled = await rt.fetchJson(
      `/v1/agents/${created.agentId}`,
      as(developer, {
        method: 'PATCH',
        json: { tools: ['calculator', 'http_request'], maxSteps: 3, model: { provider: 'anthropic', name: 'claude-sonnet-4-5' } },
      }),
    );
    expect(retooled.status).toBe(200);
    expect(retooled.body).toMatchObject({ name: 'helpdesk', tools: ['calculator', 'http_request'], maxSteps: 3, version: 3 });
    // The model is replaced as a whole: no temperature left over from the OpenAI model.
    expect(retooled.body.model).toEqual({ provider: 'anthropic', name: 'claude-sonnet-4-5' });

    const versions = await rt.fetchJson(`/v1/agents/${created.agentId}/versions?limit=2`, as(viewer));
    expect(versions.status).toBe(200);
    expect(versions.body.items.map((v: { version: number; name: string }) => [v.version, v.name])).toEqual([
      [3, 'helpdesk'],
      [2, 'helpdesk'],
    ]);
    const older = await rt.fetchJson(`/v1/agents/${created.agentId}/versions?limit=2&cursor=${versions.body.nextCursor}`, as(viewer));
    expect(older.body).toMatchObject({
      items: [{ version: 1, name: 'support-bot', model: validAgent.model, tools: ['calculator'] }],
      nextCursor: null,
    });

    const deleted = await rt.fetchJson(`/v1/agents/${created.agentId}`, as(developer, { method: 'DELETE' }));
    expect(deleted.status).toBe(204);
    expect((await rt.fetchJson(`/v1/agents/${created.agentId}`, as(viewer))).status).toBe(404);
    expect((await rt.fetchJson(`/v1/agents/${created.agentId}`, as(developer, { method: 'DELETE' }))).status).toBe(404);
    expect((await rt.fetchJson(`/v1/agents/${created.agentId}`, as(developer, { method: 'PATCH', json: { name: 'x' } }))).status).toBe(404);
    const list = await rt.fetchJson('/v1/agents?limit=100', as(viewer));
    expect(list.body.items.map((a: { agentId: string }) => a.agentId)).not.toContain(created.agentId);
    // History stays: executions load the version they ran from agent_versions.
    const kept = await db.query('SELECT version FROM agent_versions WHERE agent_id = $1 ORDER BY version', [created.agentId]);
    expect(kept.rows.map((r) => r.version)).toEqual([1, 2, 3]);
  });

  it('pages the list with a cursor, oldest first', async () => {
    const ids: string[] = [];
    for (const name of ['page-a', 'page-b', 'page-c']) ids.push((await createAgent({ name })).agentId);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: JsonResponse = await rt.fetchJson(`/v1/agents?limit=2${cursor ? `&cursor=${cursor}` : ''}`, as(viewer));
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((a: { agentId: string }) => a.agentId));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen.filter((id) => ids.includes(id))).toEqual(ids);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('concurrent updates each get their own version', async () => {
    const agent = await createAgent();
    const results = await Promise.all(
      [1, 2, 3, 4, 5].map((n) => rt.fetchJson(`/v1/agents/${agent.agentId}`, as(developer, { method: 'PATCH', json: { description: `edit ${n}` } }))),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(results.map((r) => r.body.version).sort()).toEqual([2, 3, 4, 5, 6]);
    const rows = await db.query('SELECT version, description FROM agent_versions WHERE agent_id = $1 ORDER BY version', [agent.agentId]);
    expect(rows.rows.map((r) => r.version)).toEqual([1, 2, 3, 4, 5, 6]);
    // Each version row holds what its update answered.
    for (const r of results) expect(rows.rows.find((v) => v.version === r.body.version)?.description).toBe(r.body.description);
  });

  it('If-Match / expectedVersion: a stale version answers 409 and changes nothing', async () => {
    const agent = await createAgent();
    const path = `/v1/agents/${agent.agentId}`;
    expect((await rt.fetchJson(path, as(developer, { method: 'PATCH', json: { name: 'v2' }, headers: { 'if-match': '"1"' } }))).status).toBe(200);
    const before = await snapshot();

    const stale = await rt.fetchJson(path, as(developer, { method: 'PATCH', json: { name: 'lost' }, headers: { 'if-match': '"1"' } }));
    expect(stale.status).toBe(409);
    problemOf(stale);
    const staleBody = await rt.fetchJson(path, as(developer, { method: 'PATCH', json: { name: 'lost', expectedVersion: 1 } }));
    expect(staleBody.status).toBe(409);
    expect(await snapshot()).toEqual(before);
    expect((await rt.fetchJson(path, as(viewer))).body).toMatchObject({ name: 'v2', version: 2 });

    const fresh = await rt.fetchJson(path, as(developer, { method: 'PATCH', json: { name: 'v3', expectedVersion: 2 } }));
    expect(fresh).toMatchObject({ status: 200, body: { name: 'v3', version: 3 } });
    expect(fresh.headers.get('etag')).toBe('"3"');
  });
});

describe('bad input: 400 problem+json naming the field, nothing stored', () => {
  it('POST /v1/agents', async () => {
    const before = await snapshot();
    const cases: Array<[string, Init, string[]]> = [
      ['malformed JSON', { method: 'POST', body: '{"name": ', headers: { 'content-type': 'application/json' } }, ['body']],
      ['missing fields', { method: 'POST', json: { description: 'x' } }, ['body.name', 'body.model']],
      [
        'wrong types',
        { method: 'POST', json: { ...validAgent, name: 42, maxSteps: 'ten', tools: 'calculator' } },
        ['body.name', 'body.maxSteps', 'body.tools'],
      ],
      ['step limit too high', { method: 'POST', json: { ...validAgent, maxSteps: 51 } }, ['body.maxSteps']],
      ['step limit zero', { method: 'POST', json: { ...validAgent, maxSteps: 0 } }, ['body.maxSteps']],
      ['unknown provider', { method: 'POST', json: { ...validAgent, model: { provider: 'google', name: 'gemini' } } }, ['body.model.provider']],
      [
        'temperature out of range',
        { method: 'POST', json: { ...validAgent, model: { provider: 'openai', name: 'm', temperature: 2.5 } } },
        ['body.model.temperature'],
      ],
      ['unknown tool', { method: 'POST', json: { ...validAgent, tools: ['calculator', 'rm_rf'] } }, ['body.tools.1']],
      ['blank name', { method: 'POST', json: { ...validAgent, name: '   ' } }, ['body.name']],
      // PostgreSQL refuses NUL in text and jsonb, and lone surrogates in jsonb; zod lets both through.
      ['NUL in name', { method: 'POST', json: { ...validAgent, name: 'a\u0000b' } }, ['body.name']],
      ['lone surrogate in systemPrompt', { method: 'POST', json: { ...validAgent, systemPrompt: 'hi \ud800' } }, ['body.systemPrompt']],
      [
        'NUL in the model (jsonb)',
        { method: 'POST', json: { ...validAgent, model: { ...validAgent.model, name: 'gpt\u0000' } } },
        ['body.model.name'],
      ],
    ];
    for (const [label, init, paths] of cases) {
      const res = await rt.fetchJson('/v1/agents', as(developer, init));
      expect(res.status, label).toBe(400);
      expect(errorPaths(res), label).toEqual(expect.arrayContaining(paths));
    }
    const unknownField = await rt.fetchJson('/v1/agents', as(developer, { method: 'POST', json: { ...validAgent, owner: 'me' } }));
    expect(unknownField.status).toBe(400);
    expect(problemOf(unknownField).errors?.[0]?.message).toMatch(/owner/);
    const notJson = await rt.fetchJson(
      '/v1/agents',
      as(developer, { method: 'POST', body: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
    );
    expect(notJson.status).toBe(415);
    problemOf(notJson);
    expect(await snapshot()).toEqual(before);
  });

  it('PATCH, GET, DELETE and versions of /v1/agents/{agentId}, and the list', async () => {
    const agent = await createAgent();
    const path = `/v1/agents/${agent.agentId}`;
    const before = await snapshot();
    const cases: Array<[string, string, Init, string[]]> = [
      ['empty patch', path, { method: 'PATCH', json: {} }, ['body']],
      ['unknown tool', path, { method: 'PATCH', json: { tools: ['nope'] } }, ['body.tools.0']],
      ['duplicate tool', path, { method: 'PATCH', json: { tools: ['calculator', 'calculator'] } }, ['body.tools']],
      ['wrong type', path, { method: 'PATCH', json: { maxSteps: 2.5 } }, ['body.maxSteps']],
      ['malformed JSON', path, { method: 'PATCH', body: '{', headers: { 'content-type': 'application/json' } }, ['body']],
      ['bad If-Match', path, { method: 'PATCH', json: { name: 'x' }, headers: { 'if-match': 'yesterday' } }, ['headers.if-match']],
      ['bad id on PATCH', '/v1/agents/not-an-id', { method: 'PATCH', json: { name: 'x' } }, ['params.agentId']],
      ['bad id on GET', '/v1/agents/agt_%20', {}, ['params.agentId']],
      ['bad id on DELETE', '/v1/agents/123', { method: 'DELETE' }, ['params.agentId']],
      ['bad id on versions', '/v1/agents/x/versions', {}, ['params.agentId']],
      ['bad cursor on versions', `${path}/versions?cursor=bm9wZQ`, {}, ['query.cursor']],
      ['bad cursor', '/v1/agents?cursor=garbage', {}, ['query.cursor']],
      ['NUL in a query value', '/v1/agents?cursor=a%00b', {}, ['query.cursor']],
      ['version cursor beyond int', `${path}/versions?cursor=${crafted({ version: 2 ** 40 })}`, {}, ['query.cursor']],
      ['cursor in year 0', `/v1/agents?cursor=${crafted({ createdAt: '0000-01-01T00:00:00Z', id: 'agt_x' })}`, {}, ['query.cursor']],
      ['cursor id with NUL', `/v1/agents?cursor=${crafted({ createdAt: '2024-01-01T00:00:00Z', id: 'agt_\u0000' })}`, {}, ['query.cursor']],
      ['bad limit', '/v1/agents?limit=0', {}, ['query.limit']],
      ['limit not a number', '/v1/agents?limit=many', {}, ['query.limit']],
    ];
    for (const [label, url, init, paths] of cases) {
      const res = await rt.fetchJson(url, as(developer, init));
      expect(res.status, label).toBe(400);
      expect(errorPaths(res), label).toEqual(expect.arrayContaining(paths));
    }
    expect((await rt.fetchJson('/v1/agents/agt_doesNotExist0', as(developer))).status).toBe(404);
    expect(await snapshot()).toEqual(before);
  });
});

describe('roles and tenants', () => {
  it('a viewer reads but cannot create, update or delete (403, nothing changed)', async () => {
    const agent = await createAgent();
    const before = await snapshot();
    const path = `/v1/agents/${agent.agentId}`;
    for (const [url, init] of [
      ['/v1/agents', { method: 'POST', json: validAgent }],
      [path, { method: 'PATCH', json: { name: 'viewer-was-here' } }],
      [path, { method: 'DELETE' }],
    ] as Array<[string, Init]>) {
      const res = await rt.fetchJson(url, as(viewer, init));
      expect(res.status, `${init.method} ${url}`).toBe(403);
      problemOf(res);
    }
    expect(await snapshot()).toEqual(before);
    for (const url of ['/v1/agents', path, `${path}/versions`, `/v1/analytics/agents/${agent.agentId}`, '/v1/tools']) {
      expect((await rt.fetchJson(url, as(viewer))).status, url).toBe(200);
    }
  });

  it("another tenant's agent is 404 on every route, and not listed", async () => {
    const agent = await createAgent();
    const path = `/v1/agents/${agent.agentId}`;
    const before = await snapshot();
    for (const [url, init] of [
      [path, {}],
      [path, { method: 'PATCH', json: { name: 'stolen' } }],
      [path, { method: 'DELETE' }],
      [`${path}/versions`, {}],
      [`/v1/analytics/agents/${agent.agentId}`, {}],
    ] as Array<[string, Init]>) {
      const res = await rt.fetchJson(url, as(tenantB, init));
      expect(res.status, `${init.method ?? 'GET'} ${url}`).toBe(404);
      problemOf(res);
    }
    const list = await rt.fetchJson('/v1/agents?limit=100', as(tenantB));
    expect(list).toMatchObject({ status: 200, body: { items: [], nextCursor: null } });
    expect(await snapshot()).toEqual(before);
    // B's own agents work as usual.
    const own = await createAgent({ name: 'b-agent' }, tenantB);
    expect((await rt.fetchJson(`/v1/agents/${own.agentId}`, as(developer))).status).toBe(404);
  });
});

describe('GET /v1/analytics/agents/{agentId}', () => {
  const HOUR = 3_600_000;
  const ago = (ms: number) => new Date(Date.now() - ms);
  let agentId: string;

  beforeAll(async () => {
    agentId = (await createAgent({ name: 'analytics' })).agentId;
    const other = (await createAgent({ name: 'other' })).agentId;
    // [id, agent, status, durationMs | null (not started), error message, created this long ago]
    const runs: Array<[string, string, string, number | null, string | null, number]> = [
      ['exe_s1', agentId, 'succeeded', 1000, null, HOUR],
      ['exe_s2', agentId, 'succeeded', 3000, null, HOUR],
      ['exe_f1', agentId, 'failed', 2000, 'boom', HOUR],
      ['exe_f2', agentId, 'failed', 6000, 'boom', HOUR],
      ['exe_f3', agentId, 'failed', 500, 'model timed out', HOUR],
      ['exe_c1', agentId, 'cancelled', 4000, null, HOUR],
      ['exe_q1', agentId, 'cancelled', null, null, HOUR],
      ['exe_r1', agentId, 'running', null, null, HOUR],
      ['exe_old', agentId, 'failed', 9000, 'ancient', 30 * 24 * HOUR],
      ['exe_other', other, 'failed', 100, 'not mine', HOUR],
    ];
    for (const [id, agent, status, duration, message, age] of runs) {
      const created = ago(age);
      const started = duration === null ? null : new Date(created.getTime() + 10);
      const finished = started && status !== 'running' ? new Date(started.getTime() + duration!) : null;
      await db.query(
        `INSERT INTO executions (id, tenant_id, agent_id, agent_version, status, input, error, created_at, started_at, finished_at)
         VALUES ($1, 'default', $2, 1, $3, '{}', $4, $5, $6, $7)`,
        [id, agent, status, message ? { type: 'test', message } : null, created, started, finished],
      );
    }
    const steps: Array<[string, number, 'model' | 'tool', string | null, string | null, string | null, boolean, number, number]> = [
      ['exe_s1', 1, 'model', 'openai', 'gpt-4o-mini', null, false, 10, 5],
      ['exe_s1', 2, 'tool', null, null, 'calculator', false, 0, 0],
      ['exe_s1', 3, 'model', 'openai', 'gpt-4o-mini', null, false, 20, 10],
      ['exe_f1', 1, 'model', 'anthropic', 'claude-sonnet-4-5', null, false, 7, 3],
      ['exe_f1', 2, 'tool', null, null, 'calculator', true, 0, 0],
      ['exe_f1', 3, 'tool', null, null, 'http_request', false, 0, 0],
      ['exe_old', 1, 'model', 'openai', 'gpt-4o', null, false, 1000, 1000],
      ['exe_other', 1, 'tool', null, null, 'read_file', true, 0, 0],
    ];
    for (const [execution, no, kind, provider, model, tool, failed, inTok, outTok] of steps) {
      await db.query(
        `INSERT INTO execution_steps (execution_id, step_no, kind, provider, model, tool_name, error, input_tokens, output_tokens, latency_ms, finished_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 5, now())`,
        [execution, no, kind, provider, model, tool, failed ? { type: 'tool_failed', message: 'x' } : null, inTok, outTok],
      );
    }
  });

  it('sums the last 7 days by default: counts, success rate, percentiles, tokens, tools, top errors', async () => {
    const res = await rt.fetchJson(`/v1/analytics/agents/${agentId}`, as(viewer));
    expect(res.status, res.text).toBe(200);
    expect(Date.parse(res.body.to) - Date.parse(res.body.from)).toBe(7 * 24 * HOUR);
    expect(res.body).toMatchObject({
      agentId,
      runs: 8,
      succeeded: 2,
      failed: 3,
      cancelled: 2,
      inProgress: 1,
      // Finished runs that started: 500, 1000, 2000, 3000, 4000, 6000 ms.
      durationMs: { p50: 2500, p95: 5500 },
      tokensByModel: [
        { provider: 'openai', model: 'gpt-4o-mini', calls: 2, inputTokens: 30, outputTokens: 15 },
        { provider: 'anthropic', model: 'claude-sonnet-4-5', calls: 1, inputTokens: 7, outputTokens: 3 },
      ],
      toolUsage: [
        { toolName: 'calculator', calls: 2, errors: 1 },
        { toolName: 'http_request', calls: 1, errors: 0 },
      ],
      topErrors: [
        { message: 'boom', count: 2 },
        { message: 'model timed out', count: 1 },
      ],
    });
    expect(res.body.successRate).toBeCloseTo(2 / 7, 10);
  });

  it('honours an explicit window, and answers zeros for an empty one', async () => {
    const from = ago(40 * 24 * HOUR).toISOString();
    const to = ago(20 * 24 * HOUR).toISOString();
    const old = await rt.fetchJson(`/v1/analytics/agents/${agentId}?from=${from}&to=${to}`, as(viewer));
    expect(old.body).toMatchObject({
      runs: 1,
      failed: 1,
      successRate: 0,
      durationMs: { p50: 9000, p95: 9000 },
      tokensByModel: [{ provider: 'openai', model: 'gpt-4o', calls: 1, inputTokens: 1000, outputTokens: 1000 }],
      toolUsage: [],
      topErrors: [{ message: 'ancient', count: 1 }],
    });
    const empty = await rt.fetchJson(`/v1/analytics/agents/${agentId}?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z`, as(viewer));
    expect(empty.body).toMatchObject({
      runs: 0,
      successRate: null,
      durationMs: { p50: null, p95: null },
      tokensByModel: [],
      toolUsage: [],
      topErrors: [],
    });
  });

  it('rejects bad windows and ids with 400 naming the field', async () => {
    const cases: Array<[string, string[]]> = [
      [`/v1/analytics/agents/${agentId}?from=2024-02-01T00:00:00Z&to=2024-01-01T00:00:00Z`, ['query.from']],
      [`/v1/analytics/agents/${agentId}?from=2024-01-01T00:00:00Z&to=2024-01-01T00:00:00Z`, ['query.from']],
      [`/v1/analytics/agents/${agentId}?from=yesterday`, ['query.from']],
      [`/v1/analytics/agents/${agentId}?to=2024-13-01`, ['query.to']],
      [`/v1/analytics/agents/${agentId}?from=2000-01-01T00:00:00Z&to=2024-01-01T00:00:00Z`, ['query.from']],
      ['/v1/analytics/agents/exe_s1', ['params.agentId']],
    ];
    for (const [url, paths] of cases) {
      const res = await rt.fetchJson(url, as(viewer));
      expect(res.status, url).toBe(400);
      expect(errorPaths(res), url).toEqual(expect.arrayContaining(paths));
    }
    expect((await rt.fetchJson('/v1/analytics/agents/agt_doesNotExist0', as(viewer))).status).toBe(404);
  });
});
