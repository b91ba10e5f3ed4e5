/**
 * The audit trail through the local runtime: an entry for every mutating route of the manifest (generated
 * from it, so a new route cannot skip it), none for reads, never a body or a secret; `GET /v1/audit` per
 * tenant (platform admins across tenants) with filters and cursor paging; the same entries on the event bus;
 * the store refuses changes; the metrics the calls emitted are visible. WebSocket actions likewise: an entry for
 * a frame of every action the manifest does not mark read-only (generated from it), none for the others.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flatManifest } from '#functions/manifest.ts';
import { isAudited, isAuditedAction, type HttpRoute } from '#shared/manifest.types.ts';
import { request } from '../realtime/helpers.ts';
import { errorPaths, problemOf } from '../support/problem.ts';
import { fetchJson, startTestRuntime, type TestRuntime, type WsClient } from '../support/runtime.ts';

let rt: TestRuntime;
let db: pg.Pool;
let tenantA: { tenantId: string; apiKey: string };
let tenantB: { tenantId: string; apiKey: string };

const routes = flatManifest.functions.flatMap((f) => f.http ?? []);
const asKey = (apiKey: string) => ({ 'x-api-key': apiKey });
const entryCount = async (): Promise<number> => Number((await db.query('SELECT count(*) AS n FROM audit_entries')).rows[0].n);
const latest = async () => (await db.query('SELECT * FROM audit_entries ORDER BY id DESC LIMIT 1')).rows[0];
/** A path of the route with every parameter filled by a value no resource has (the call is refused, and still audited). */
const pathOf = (route: HttpRoute): string => route.path.replace(/\{\w+\}/g, 'zz');

beforeAll(async () => {
  rt = await startTestRuntime({ scheduler: false, env: { RATE_LIMIT_PER_MINUTE: '100000' } });
  db = new pg.Pool({ connectionString: rt.databaseUrl, max: 1 });
  const tenant = async (name: string) => {
    const res = await rt.fetchJson('/v1/tenants', { method: 'POST', headers: asKey(rt.apiKey), json: { name } });
    expect(res.status).toBe(201);
    return { tenantId: res.body.tenantId as string, apiKey: res.body.adminKey.apiKey as string };
  };
  tenantA = await tenant('Audit A');
  tenantB = await tenant('Audit B');
}, 120_000);
afterAll(async () => {
  await db?.end();
  await rt?.stop();
});

describe('recording', () => {
  it('writes exactly one entry for a call of every mutating route of the manifest, whatever the answer', async () => {
    const audited = routes.filter(isAudited);
    expect(audited.length).toBeGreaterThan(30);
    const missing: string[] = [];
    for (const route of audited) {
      const before = await entryCount();
      const res = await rt.fetchJson(pathOf(route), { method: route.method, headers: asKey(tenantA.apiKey), json: {} });
      const after = await entryCount();
      const entry = await latest();
      const action = `${route.method} ${route.path}`;
      if (after !== before + 1 || entry.action !== action || entry.status !== res.status || entry.tenant_id !== tenantA.tenantId) {
        missing.push(`${action}: ${after - before} entries, last ${entry?.action} ${entry?.status} (answer ${res.status})`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('writes nothing for reads or read-only computations', async () => {
    const reads = routes.filter((r) => !isAudited(r) && r.auth !== 'none');
    expect(reads.some((r) => r.method === 'POST')).toBe(true);
    const before = await entryCount();
    for (const route of reads) {
      await rt.fetchJson(pathOf(route), { method: route.method, headers: asKey(tenantA.apiKey), ...(route.method === 'GET' ? {} : { json: {} }) });
    }
    expect(await entryCount()).toBe(before);
  });

  it('records the resource a call changed, the principal and the request, and never the body or a secret', async () => {
    const created = await rt.fetchJson('/v1/api-keys', {
      method: 'POST',
      headers: asKey(tenantA.apiKey),
      json: { name: 'name-in-the-body', role: 'viewer' },
    });
    expect(created.status).toBe(201);
    const row = await latest();
    expect(row).toMatchObject({
      tenant_id: tenantA.tenantId,
      principal: expect.stringMatching(/^apikey:key_/),
      action: 'POST /v1/api-keys',
      resource_type: 'api-keys',
      resource_id: created.body.keyId,
      status: 201,
      outcome: 'succeeded',
      source_ip: '127.0.0.1',
    });
    expect(row.request_id).toEqual(expect.any(String));
    expect(JSON.stringify(row)).not.toContain(created.body.apiKey);
    expect(JSON.stringify(row)).not.toContain('name-in-the-body');

    const revoked = await rt.fetchJson(`/v1/api-keys/${created.body.keyId}`, { method: 'DELETE', headers: asKey(tenantA.apiKey) });
    expect(revoked.status).toBe(204);
    expect(await latest()).toMatchObject({ action: 'DELETE /v1/api-keys/{keyId}', resource_type: 'api-keys', resource_id: created.body.keyId });

    const jwt = await rt.mintJwt({ sub: 'viewer-vic', tenantId: tenantA.tenantId, roles: ['viewer'] });
    const denied = await rt.fetchJson('/v1/agents', { method: 'POST', headers: { authorization: `Bearer ${jwt}` }, json: { name: 'x' } });
    expect(denied.status).toBe(403);
    expect(await latest()).toMatchObject({ principal: 'viewer-vic', status: 403, outcome: 'rejected', resource_id: null });
  });

  it('keeps the store append-only: updates, deletes and truncation are refused by the database', async () => {
    await expect(db.query("UPDATE audit_entries SET principal = 'someone-else'")).rejects.toThrow(/append-only/);
    await expect(db.query('DELETE FROM audit_entries')).rejects.toThrow(/append-only/);
    await expect(db.query('TRUNCATE audit_entries')).rejects.toThrow(/append-only/);
  });

  it('publishes every entry on the stage bus as mls.audit "Audit Entry", without bodies or secrets', async () => {
    const created = await rt.fetchJson('/v1/api-keys', {
      method: 'POST',
      headers: asKey(tenantB.apiKey),
      json: { name: 'bus-body', role: 'viewer' },
    });
    expect(created.status).toBe(201);
    const bus = await fetchJson(`${rt.opsUrl}/events?source=mls.audit&tenantId=${tenantB.tenantId}`);
    expect(bus.status).toBe(200);
    const event = bus.body.items[0];
    expect(event).toMatchObject({
      source: 'mls.audit',
      detailType: 'Audit Entry',
      eventBusName: 'mls-local-events',
      detail: { tenantId: tenantB.tenantId, action: 'POST /v1/api-keys', resourceId: created.body.keyId, outcome: 'succeeded' },
    });
    expect(JSON.stringify(bus.body)).not.toContain(created.body.apiKey);
    expect(JSON.stringify(bus.body)).not.toContain('bus-body');

    // The domains' own events ride the same bus: here, a revoked key.
    expect((await rt.fetchJson(`/v1/api-keys/${created.body.keyId}`, { method: 'DELETE', headers: asKey(tenantB.apiKey) })).status).toBe(204);
    const revoked = await fetchJson(
      `${rt.opsUrl}/events?source=mls.platform&detailType=${encodeURIComponent('API Key Revoked')}&tenantId=${tenantB.tenantId}`,
    );
    expect(revoked.body.items).toEqual([
      expect.objectContaining({
        detail: { tenantId: tenantB.tenantId, keyId: created.body.keyId, revokedBy: expect.stringMatching(/^apikey:key_/) },
      }),
    ]);
  });
});

describe('WebSocket actions', () => {
  /** Every client action of the manifest (route keys other than `$connect`, `$disconnect`, `$default`). */
  const actions = flatManifest.functions.flatMap((f) =>
    (f.websocket ?? []).filter((key) => !key.startsWith('$')).map((routeKey) => ({ routeKey, audited: isAuditedAction(f, routeKey) })),
  );
  let ws: WsClient;
  let channel: string;
  let foreignChannel: string;

  const createWorkspace = async (apiKey: string): Promise<string> => {
    const res = await rt.fetchJson('/v1/workspaces', { method: 'POST', headers: asKey(apiKey), json: { name: 'Audited room' } });
    expect(res.status).toBe(201);
    return `workspace:${res.body.workspaceId}`;
  };

  beforeAll(async () => {
    channel = await createWorkspace(tenantA.apiKey);
    foreignChannel = await createWorkspace(tenantB.apiKey);
    ws = await rt.connect(tenantA.apiKey);
    expect(ws.opened).toBe(true);
  });
  afterAll(() => ws?.close());

  /** The reply to the frame, once every handler it started (the audit write comes after the reply) is done. */
  const send = async (frame: Record<string, unknown>) => {
    const reply = await request(ws, frame);
    await rt.settled();
    return reply;
  };

  it('writes exactly one entry for a frame of every mutating action of the manifest, whatever the reply', async () => {
    const audited = actions.filter((a) => a.audited);
    expect(audited.map((a) => a.routeKey)).toContain('publish');
    const missing: string[] = [];
    for (const { routeKey } of audited) {
      // Only the channel: a frame that needs more is refused, and still recorded.
      for (const frame of [
        { action: routeKey, channel },
        { action: routeKey, channel, data: { n: 1 } },
      ]) {
        const before = await entryCount();
        const reply = await send(frame);
        const entry = await latest();
        const status = reply.type === 'error' ? reply.status : 200;
        if (
          (await entryCount()) !== before + 1 ||
          entry.action !== `ws:${routeKey}` ||
          entry.status !== status ||
          entry.tenant_id !== tenantA.tenantId ||
          entry.resource_type !== 'channels' ||
          entry.resource_id !== channel
        ) {
          missing.push(`ws:${routeKey} ${JSON.stringify(frame)}: last ${entry?.action} ${entry?.status} ${entry?.resource_id} (reply ${status})`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('writes nothing for read-only actions (ping, subscribe, unsubscribe, presence) or unknown ones', async () => {
    const readOnly = actions.filter((a) => !a.audited).map((a) => a.routeKey);
    expect(readOnly).toEqual(expect.arrayContaining(['ping', 'subscribe']));
    const before = await entryCount();
    for (const action of [...readOnly, 'dance']) {
      const reply = await send({ action, channel });
      expect(reply.type, action).not.toBe(undefined);
    }
    expect(await entryCount()).toBe(before);
  });

  it('records who published to which channel, the outcome, request and address, and never the data', async () => {
    const reply = await send({ action: 'publish', channel, data: { text: 'data-in-the-frame' } });
    expect(reply).toMatchObject({ type: 'published', channel });
    const row = await latest();
    expect(row).toMatchObject({
      tenant_id: tenantA.tenantId,
      principal: expect.stringMatching(/^apikey:key_/),
      action: 'ws:publish',
      resource_type: 'channels',
      resource_id: channel,
      status: 200,
      outcome: 'succeeded',
      source_ip: '127.0.0.1',
    });
    expect(row.request_id).toEqual(expect.any(String));
    expect(JSON.stringify(row)).not.toContain('data-in-the-frame');

    const bus = await fetchJson(`${rt.opsUrl}/events?source=mls.audit&tenantId=${tenantA.tenantId}`);
    expect(bus.body.items[0]).toMatchObject({ detailType: 'Audit Entry', detail: { action: 'ws:publish', resourceId: channel, status: 200 } });
    expect(JSON.stringify(bus.body)).not.toContain('data-in-the-frame');

    // Another tenant's workspace does not exist for this caller: refused (404), recorded in the caller's tenant.
    const denied = await send({ action: 'publish', channel: foreignChannel, data: 'x' });
    expect(denied).toMatchObject({ type: 'error', status: 404 });
    expect(await latest()).toMatchObject({ tenant_id: tenantA.tenantId, action: 'ws:publish', status: 404, outcome: 'rejected' });
    const listed = await rt.fetchJson(`/v1/audit?resource=${encodeURIComponent(`channels/${channel}`)}&limit=100`, {
      headers: asKey(tenantA.apiKey),
    });
    expect(listed.status).toBe(200);
    expect(listed.body.items.length).toBeGreaterThan(1);
    expect(listed.body.items.every((e: { action: string }) => e.action === 'ws:publish')).toBe(true);
    const foreign = await rt.fetchJson(`/v1/audit?resource=${encodeURIComponent(`channels/${foreignChannel}`)}`, { headers: asKey(tenantB.apiKey) });
    expect(foreign.body.items).toEqual([]);
  });

  it('records a publish tried on a connection whose token expired since it opened (refused 401)', async () => {
    const exp = Math.floor(Date.now() / 1000) + 2;
    const jwt = await rt.mintJwt({ sub: 'expiring-eve', tenantId: tenantA.tenantId, roles: ['developer'], expiresIn: exp });
    const stale = await rt.connect(jwt);
    try {
      expect(stale.opened).toBe(true);
      await new Promise((r) => setTimeout(r, exp * 1000 - Date.now() + 50));
      expect(await request(stale, { action: 'publish', channel, data: 'after expiry' })).toMatchObject({ type: 'error', status: 401 });
      await rt.settled();
      expect(await latest()).toMatchObject({
        principal: 'expiring-eve',
        action: 'ws:publish',
        resource_id: channel,
        status: 401,
        outcome: 'rejected',
      });
    } finally {
      await stale.close();
    }
  });
});

describe('GET /v1/audit', () => {
  const list = (apiKey: string, query = '') => rt.fetchJson(`/v1/audit${query}`, { headers: asKey(apiKey) });

  it("shows an admin only the own tenant's entries, newest first", async () => {
    const a = await list(tenantA.apiKey, '?limit=100');
    expect(a.status).toBe(200);
    expect(a.body.items.length).toBeGreaterThan(0);
    expect(new Set(a.body.items.map((e: { tenantId: string }) => e.tenantId))).toEqual(new Set([tenantA.tenantId]));
    const times = a.body.items.map((e: { at: string }) => e.at);
    expect([...times].sort().reverse()).toEqual(times);
    const b = await list(tenantB.apiKey, '?limit=100');
    expect(new Set(b.body.items.map((e: { tenantId: string }) => e.tenantId))).toEqual(new Set([tenantB.tenantId]));
  });

  it("refuses another tenant's trail to a tenant admin, and lets platform admins read any tenant or all", async () => {
    const refused = await list(tenantA.apiKey, `?tenant=${tenantB.tenantId}`);
    expect(refused.status).toBe(403);
    problemOf(refused);
    const one = await list(rt.apiKey, `?tenant=${tenantB.tenantId}&limit=100`);
    expect(one.status).toBe(200);
    expect(new Set(one.body.items.map((e: { tenantId: string }) => e.tenantId))).toEqual(new Set([tenantB.tenantId]));
    const all = await list(rt.apiKey, '?limit=100');
    expect(new Set(all.body.items.map((e: { tenantId: string }) => e.tenantId))).toEqual(new Set(['default', tenantA.tenantId, tenantB.tenantId]));
  });

  it('needs the admin role', async () => {
    for (const role of ['viewer', 'developer']) {
      const jwt = await rt.mintJwt({ tenantId: tenantA.tenantId, roles: [role] });
      expect((await rt.fetchJson('/v1/audit', { headers: { authorization: `Bearer ${jwt}` } })).status).toBe(403);
    }
    expect((await rt.fetchJson('/v1/audit')).status).toBe(401);
  });

  it('filters by actor, resource (type or type/id) and time', async () => {
    const all = (await list(tenantA.apiKey, '?limit=100')).body.items as Array<Record<string, string>>;
    const key = all.find((e) => e.action === 'DELETE /v1/api-keys/{keyId}') as { at: string; entryId: string; resourceId: string };
    const byResource = await list(tenantA.apiKey, `?resource=api-keys/${key.resourceId}`);
    expect(byResource.body.items.map((e: { action: string }) => e.action).sort()).toEqual(['DELETE /v1/api-keys/{keyId}', 'POST /v1/api-keys']);
    const byType = await list(tenantA.apiKey, '?resource=api-keys&limit=100');
    expect(byType.body.items.every((e: { resourceType: string }) => e.resourceType === 'api-keys')).toBe(true);
    const byActor = await list(tenantA.apiKey, '?actor=viewer-vic');
    expect(byActor.body.items).toHaveLength(1);
    expect(byActor.body.items[0]).toMatchObject({ principal: 'viewer-vic', status: 403 });
    const future = await list(tenantA.apiKey, `?from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
    expect(future.body.items).toEqual([]);
    const past = await list(tenantA.apiKey, `?to=${encodeURIComponent('2000-01-01T00:00:00Z')}`);
    expect(past.body.items).toEqual([]);
    const window = await list(
      tenantA.apiKey,
      `?from=${encodeURIComponent(key.at)}&to=${encodeURIComponent(new Date(Date.parse(key.at) + 1).toISOString())}&limit=100`,
    );
    expect(window.body.items.map((e: { entryId: string }) => e.entryId)).toContain(key.entryId);
  });

  it('pages with a cursor, every entry once', async () => {
    const everything = (await list(tenantA.apiKey, '?limit=100')).body.items.map((e: { entryId: string }) => e.entryId);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof list>> = await list(tenantA.apiKey, `?limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((e: { entryId: string }) => e.entryId));
      cursor = page.body.nextCursor;
    } while (cursor && seen.length < 200);
    expect(seen.slice(0, everything.length)).toEqual(everything);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('answers bad input with 400 naming the field', async () => {
    for (const [query, field] of [
      ['?from=yesterday', 'query.from'],
      ['?to=2026-13-40T00:00:00Z', 'query.to'],
      ['?resource=Agents!', 'query.resource'],
      ['?limit=0', 'query.limit'],
      ['?limit=abc', 'query.limit'],
      ['?cursor=not-a-cursor', 'query.cursor'],
      [`?actor=${'a'.repeat(300)}`, 'query.actor'],
    ] as const) {
      const res = await list(tenantA.apiKey, query);
      expect(res.status, query).toBe(400);
      expect(errorPaths(res), query).toContain(field);
    }
  });
});

describe('local metrics', () => {
  it('shows the counts the handlers emitted, as CloudWatch would receive them', async () => {
    const res = await fetchJson(`${rt.opsUrl}/metrics`);
    expect(res.status).toBe(200);
    const names = new Set(
      res.body.items.filter((m: { namespace: string }) => m.namespace === 'MultimodalLlmStack/local').map((m: { name: string }) => m.name),
    );
    for (const name of ['Success', 'ClientError', 'AuthorizerAllowed']) expect(names).toContain(name);
    const clientErrors = res.body.items.find((m: { name: string }) => m.name === 'ClientError');
    expect(clientErrors.sum).toBeGreaterThan(10);
    expect(clientErrors.dimensions).toEqual({ service: expect.any(String) });
  });
});
