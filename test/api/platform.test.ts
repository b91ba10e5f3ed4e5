/**
 * The platform API as a client sees it: over HTTP and WebSocket through the embedded local runtime (gateway,
 * authorizer, handlers, PostgreSQL), one runtime for the file.
 */
import { validate, compileErrors } from '@readme/openapi-parser';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type JsonResponse, type TestRuntime } from '../support/runtime.ts';
import { errorPaths, problemOf } from '../support/problem.ts';

let rt: TestRuntime;
let db: pg.Pool;
beforeAll(async () => {
  rt = await startTestRuntime();
  db = new pg.Pool({ connectionString: rt.databaseUrl, max: 1 });
});
afterAll(async () => {
  await db?.end();
  await rt?.stop();
});

const asAdmin = (init: RequestInit & { json?: unknown } = {}) => ({ ...init, headers: { 'x-api-key': rt.apiKey, ...(init.headers ?? {}) } });
const keyCount = async (): Promise<number> => Number((await db.query('SELECT count(*) AS n FROM api_keys')).rows[0].n);
const tenantCount = async (): Promise<number> => Number((await db.query('SELECT count(*) AS n FROM tenants')).rows[0].n);

describe('public routes', () => {
  it('GET /health needs no credentials', async () => {
    const res = await rt.fetchJson('/health');
    expect(res).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('GET /openapi.json is valid OpenAPI 3.1 listing the platform routes', async () => {
    const res = await rt.fetchJson('/openapi.json');
    expect(res.status).toBe(200);
    const result = await validate(structuredClone(res.body));
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining(['/health', '/openapi.json', '/v1/me', '/v1/api-keys', '/v1/api-keys/{keyId}', '/v1/tenants']),
    );
  });
});

describe('authentication', () => {
  it('GET /v1/me returns the principal of an API key and of a JWT', async () => {
    const byKey = await rt.fetchJson('/v1/me', { headers: { 'x-api-key': rt.apiKey } });
    expect(byKey.status).toBe(200);
    expect(byKey.body).toEqual({ userId: expect.stringMatching(/^apikey:key_/), tenantId: 'default', roles: ['admin'] });

    const keyAsBearer = await rt.fetchJson('/v1/me', { headers: { authorization: `Bearer ${rt.apiKey}` } });
    expect(keyAsBearer.body).toEqual(byKey.body);

    const jwt = await rt.mintJwt({ sub: 'alice', tenantId: 'ten_x', roles: ['developer'] });
    const byJwt = await rt.fetchJson('/v1/me', { headers: { authorization: `Bearer ${jwt}` } });
    expect(byJwt).toMatchObject({ status: 200, body: { userId: 'alice', tenantId: 'ten_x', roles: ['developer'] } });
  });

  it('answers 401 problem+json without credentials, with a forged or expired JWT, or an unknown key', async () => {
    const forged = (await rt.mintJwt({ sub: 'mallory' })).replace(/\.[^.]+$/, '.c2lnbmF0dXJl');
    const expired = await rt.mintJwt({ expiresIn: Math.floor(Date.now() / 1000) - 10 });
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: `Bearer ${forged}` },
      { authorization: `Bearer ${expired}` },
      { 'x-api-key': `mls_${'x'.repeat(43)}` },
    ];
    for (const headers of attempts) {
      const res = await rt.fetchJson('/v1/me', { headers });
      expect(res.status, JSON.stringify(headers)).toBe(401);
      problemOf(res);
    }
  });

  it('answers 403 for a viewer on an admin route', async () => {
    const viewerJwt = await rt.mintJwt({ roles: ['viewer'] });
    const res = await rt.fetchJson('/v1/api-keys', { headers: { authorization: `Bearer ${viewerJwt}` } });
    expect(res.status).toBe(403);
    problemOf(res);
  });

  it('a revoked key stops working at once', async () => {
    const created = await rt.fetchJson('/v1/api-keys', asAdmin({ method: 'POST', json: { name: 'temp', role: 'viewer' } }));
    expect(created.status).toBe(201);
    expect((await rt.fetchJson('/v1/me', { headers: { 'x-api-key': created.body.apiKey } })).status).toBe(200);
    const revoked = await rt.fetchJson(`/v1/api-keys/${created.body.keyId}`, asAdmin({ method: 'DELETE' }));
    expect(revoked.status).toBe(204);
    const after = await rt.fetchJson('/v1/me', { headers: { 'x-api-key': created.body.apiKey } });
    expect(after.status).toBe(401);
  });
});

describe('tenant isolation', () => {
  it("tenant B's admin can neither see nor revoke tenant A's keys", async () => {
    const tenantB = await rt.fetchJson('/v1/tenants', asAdmin({ method: 'POST', json: { name: 'Tenant B' } }));
    expect(tenantB.status).toBe(201);
    const bKey = tenantB.body.adminKey.apiKey as string;
    expect((await rt.fetchJson('/v1/me', { headers: { 'x-api-key': bKey } })).body).toMatchObject({
      tenantId: tenantB.body.tenantId,
      roles: ['admin'],
    });

    const aKey = await rt.fetchJson('/v1/api-keys', asAdmin({ method: 'POST', json: { name: 'a-only' } }));
    const bList = await rt.fetchJson('/v1/api-keys?limit=100', { headers: { 'x-api-key': bKey } });
    expect(bList.status).toBe(200);
    expect(bList.body.items.every((k: { tenantId: string }) => k.tenantId === tenantB.body.tenantId)).toBe(true);
    expect(bList.body.items.map((k: { keyId: string }) => k.keyId)).not.toContain(aKey.body.keyId);

    const steal = await rt.fetchJson(`/v1/api-keys/${aKey.body.keyId}`, { method: 'DELETE', headers: { 'x-api-key': bKey } });
    expect(steal.status).toBe(404);
    problemOf(steal);
    expect((await rt.fetchJson('/v1/me', { headers: { 'x-api-key': aKey.body.apiKey } })).status).toBe(200);

    // Admin of B is not a platform admin.
    expect((await rt.fetchJson('/v1/tenants', { headers: { 'x-api-key': bKey } })).status).toBe(403);
    expect((await rt.fetchJson('/v1/tenants', { method: 'POST', json: { name: 'C' }, headers: { 'x-api-key': bKey } })).status).toBe(403);
  });
});

describe('bad input on every route: 4xx problem+json naming the field, nothing stored', () => {
  const bodies: Array<[string, { body?: string; json?: unknown; headers?: Record<string, string> }, number, string | undefined]> = [
    ['malformed JSON', { body: '{"name": ', headers: { 'content-type': 'application/json' } }, 400, 'body'],
    ['wrong type', { json: { name: 5 } }, 400, 'body.name'],
    ['missing field', { json: {} }, 400, 'body.name'],
    ['unknown field', { json: { name: 'x', surprise: 1 } }, 400, 'body'],
    ['oversize body', { json: { name: 'x'.repeat(300 * 1024) } }, 413, undefined],
    ['not JSON at all', { body: 'name=x', headers: { 'content-type': 'text/plain' } }, 415, undefined],
    // PostgreSQL refuses NUL in text and lone surrogates in jsonb; zod lets both through.
    ['NUL in a string', { json: { name: 'a\u0000b' } }, 400, 'body.name'],
    ['lone surrogate', { json: { name: 'a\udc00' } }, 400, 'body.name'],
  ];

  for (const path of ['/v1/api-keys', '/v1/tenants']) {
    it.each(bodies)(`POST ${path}: %s`, async (_label, input, status, field) => {
      const [keys, tenants] = [await keyCount(), await tenantCount()];
      const res = await rt.fetchJson(path, asAdmin({ method: 'POST', ...input }));
      expect(res.status).toBe(status);
      const paths = errorPaths(res);
      if (field) expect(paths).toContain(field);
      expect([await keyCount(), await tenantCount()]).toEqual([keys, tenants]);
    });
  }

  it('POST /v1/api-keys: unknown role is named', async () => {
    const res = await rt.fetchJson('/v1/api-keys', asAdmin({ method: 'POST', json: { name: 'x', role: 'superuser' } }));
    expect(res.status).toBe(400);
    expect(errorPaths(res)).toEqual(['body.role']);
  });

  it.each(['/v1/api-keys', '/v1/tenants'])('GET %s: bad limit and cursor are named', async (path) => {
    const crafted = (position: object) => Buffer.from(JSON.stringify(position)).toString('base64url');
    for (const [query, field] of [
      ['limit=0', 'query.limit'],
      ['limit=abc', 'query.limit'],
      ['limit=101', 'query.limit'],
      ['cursor=%%%', 'query.cursor'],
      ['cursor=a%00b', 'query.cursor'],
      // Well-formed cursors whose values PostgreSQL would refuse: year 0, NUL in the id.
      [`cursor=${crafted({ createdAt: '0000-01-01T00:00:00Z', id: 'x' })}`, 'query.cursor'],
      [`cursor=${crafted({ createdAt: '2024-01-01T00:00:00Z', id: 'x\u0000' })}`, 'query.cursor'],
    ] as const) {
      const res = await rt.fetchJson(`${path}?${query}`, asAdmin());
      expect(res.status, query).toBe(400);
      expect(errorPaths(res)).toEqual([field]);
    }
  });

  it('DELETE /v1/api-keys/{keyId}: a malformed id is named, an unknown one is 404', async () => {
    const bad = await rt.fetchJson('/v1/api-keys/not-a-key', asAdmin({ method: 'DELETE' }));
    expect(bad.status).toBe(400);
    expect(errorPaths(bad)).toEqual(['params.keyId']);
    const unknown = await rt.fetchJson('/v1/api-keys/key_000000000000', asAdmin({ method: 'DELETE' }));
    expect(unknown.status).toBe(404);
    problemOf(unknown);
  });

  it('lists page through all keys with an opaque cursor', async () => {
    for (let i = 0; i < 3; i++) await rt.fetchJson('/v1/api-keys', asAdmin({ method: 'POST', json: { name: `p${i}` } }));
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const res: JsonResponse = await rt.fetchJson(`/v1/api-keys?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, asAdmin());
      expect(res.status).toBe(200);
      ids.push(...res.body.items.map((k: { keyId: string }) => k.keyId));
      cursor = res.body.nextCursor;
    } while (cursor);
    const { rows } = await db.query(`SELECT id FROM api_keys WHERE tenant_id = 'default' ORDER BY created_at, id`);
    expect(ids).toEqual(rows.map((r: { id: string }) => r.id));
  });
});

describe('WebSocket', () => {
  const connections = async (): Promise<Array<Record<string, unknown>>> => {
    const client = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: rt.env.AWS_ENDPOINT_URL_DYNAMODB, region: rt.env.AWS_REGION }));
    const { Items } = await client.send(new ScanCommand({ TableName: rt.env.CONNECTIONS_TABLE }));
    return (Items ?? []).filter((i) => String(i.pk).startsWith('conn#'));
  };

  it('records a connection with its principal on connect, and forgets it on close', async () => {
    const jwt = await rt.mintJwt({ sub: 'ws-user', tenantId: 'ten_ws', roles: ['viewer'] });
    const ws = await rt.connect(jwt);
    expect(ws.opened).toBe(true);
    const mine = (await connections()).filter((c) => c.userId === 'ws-user');
    expect(mine).toEqual([expect.objectContaining({ sk: 'meta', tenantId: 'ten_ws', roles: 'viewer', expiresAt: expect.any(Number) })]);
    await ws.close();
    await expect.poll(async () => (await connections()).filter((c) => c.userId === 'ws-user'), { timeout: 10_000 }).toEqual([]);
  });

  it('refuses a connect without a token, and answers ping and bad frames on an open connection', async () => {
    const refused = await rt.connect();
    expect(refused.opened).toBe(false);
    expect(refused.refusedStatus).toBe(401);

    const ws = await rt.connect(rt.apiKey);
    expect(ws.opened).toBe(true);
    ws.send({ action: 'ping' });
    expect(await ws.nextMessage()).toEqual({ type: 'pong' });
    ws.send('not json');
    expect(await ws.nextMessage()).toMatchObject({ type: 'error', status: 400, title: 'Malformed frame' });
    ws.send({ action: 'dance' });
    expect(await ws.nextMessage()).toMatchObject({ type: 'error', status: 400, title: 'Unknown action' });
    ws.send({ action: 'ping' });
    expect(await ws.nextMessage()).toEqual({ type: 'pong' });
    await ws.close();
  });
});
