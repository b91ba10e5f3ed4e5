/** API key and tenant routes through their handlers, against a real PostgreSQL. */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import { handler as createApiKey } from '#functions/platform/create-api-key.handler.ts';
import { handler as createTenant } from '#functions/platform/create-tenant.handler.ts';
import { handler as listApiKeys } from '#functions/platform/list-api-keys.handler.ts';
import { handler as listTenants } from '#functions/platform/list-tenants.handler.ts';
import { handler as mintAdminKey } from '#functions/platform/mint-admin-key.handler.ts';
import { handler as revokeApiKey } from '#functions/platform/revoke-api-key.handler.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { admin, call, viewer, lambdaContext } from '../helpers/events.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

const post = (body: unknown, principal = admin()) => ({ method: 'POST', path: '/v1/api-keys', body, principal });
const countKeys = async (): Promise<number> => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM api_keys'))[0]!.n);

describe('mint-admin-key', () => {
  it('creates the default tenant on first use and returns an admin key, storing only its hash', async () => {
    const minted = await mintAdminKey({ name: 'bootstrap' }, lambdaContext());
    expect(minted.tenantId).toBe('default');
    expect(minted.keyId).toMatch(/^key_/);
    expect(minted.apiKey).toMatch(/^mls_[A-Za-z0-9_-]{43}$/);
    const rows = await db.query<{ role: string; hash: string; name: string }>('SELECT role, hash, name FROM api_keys WHERE id = $1', [minted.keyId]);
    expect(rows).toEqual([{ role: 'admin', hash: expect.stringMatching(/^[0-9a-f]{64}$/), name: 'bootstrap' }]);
    expect(JSON.stringify(await db.query('SELECT * FROM api_keys'))).not.toContain(minted.apiKey);
    // A second call reuses the tenant.
    expect((await mintAdminKey({}, lambdaContext())).tenantId).toBe('default');
  });

  it('rejects a malformed event', async () => {
    await expect(mintAdminKey({ name: 7 }, lambdaContext())).rejects.toThrow(/name/);
  });
});

describe('POST /v1/api-keys', () => {
  it('creates a key in the caller tenant and shows the secret once', async () => {
    const res = await call(createApiKey, post({ name: 'ci', role: 'viewer' }));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'ci', role: 'viewer', tenantId: 'default', createdBy: 'user-admin', revokedAt: null });
    expect(res.body.apiKey.startsWith(res.body.prefix)).toBe(true);
    const listed = await call(listApiKeys, { path: '/v1/api-keys', principal: admin() });
    const mine = listed.body.items.find((k: { keyId: string }) => k.keyId === res.body.keyId);
    expect(mine).toBeDefined();
    expect(mine.apiKey).toBeUndefined();
  });

  it.each([
    ['malformed JSON', { rawBody: '{"name":' }, 'body'],
    ['wrong type', { body: { name: 12 } }, 'body.name'],
    ['missing name', { body: { role: 'admin' } }, 'body.name'],
    ['unknown role', { body: { name: 'x', role: 'root' } }, 'body.role'],
    ['unknown field', { body: { name: 'x', tenantId: 'other' } }, 'body'],
    ['empty name', { body: { name: '   ' } }, 'body.name'],
    ['too long name', { body: { name: 'x'.repeat(101) } }, 'body.name'],
  ])('rejects %s with 400 naming %s and stores nothing', async (_label, input, path) => {
    const before = await countKeys();
    const res = await call(createApiKey, { method: 'POST', path: '/v1/api-keys', principal: admin(), ...input });
    expect(res.status).toBe(400);
    expect(res.headers['Content-Type']).toBe('application/problem+json');
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    expect(await countKeys()).toBe(before);
  });

  it('rejects an oversize body with 413', async () => {
    const res = await call(createApiKey, post({ name: 'x'.repeat(300 * 1024) }));
    expect(res.status).toBe(413);
  });

  it("answers 404, not 500, when the caller's tenant does not exist (a JWT may name any tenant)", async () => {
    const res = await call(createApiKey, post({ name: 'x' }, admin('ten_ghost')));
    expect(res.status).toBe(404);
  });

  it('is for admins only', async () => {
    const res = await call(createApiKey, post({ name: 'x' }, viewer()));
    expect(res.status).toBe(403);
  });
});

describe('GET /v1/api-keys', () => {
  it('pages with an opaque cursor, every key exactly once, only the caller tenant', async () => {
    await db.query(`INSERT INTO tenants (id, name) VALUES ('ten_pages', 'Pages')`);
    for (let i = 0; i < 5; i++) expect((await call(createApiKey, post({ name: `page-${i}` }, admin('ten_pages')))).status).toBe(201);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await call(listApiKeys, {
        path: '/v1/api-keys',
        principal: admin('ten_pages'),
        query: { limit: '2', ...(cursor ? { cursor } : {}) },
      });
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((k: { name: string; tenantId: string }) => `${k.tenantId}/${k.name}`));
      cursor = res.body.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(['ten_pages/page-0', 'ten_pages/page-1', 'ten_pages/page-2', 'ten_pages/page-3', 'ten_pages/page-4']);
  });

  it.each([
    [{ limit: '0' }, 'query.limit'],
    [{ limit: 'ten' }, 'query.limit'],
    [{ limit: '1000' }, 'query.limit'],
    [{ cursor: 'not-a-cursor' }, 'query.cursor'],
  ])('rejects %o with 400 naming %s', async (query, path) => {
    const res = await call(listApiKeys, { path: '/v1/api-keys', principal: admin(), query });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual([path]);
  });
});

describe('DELETE /v1/api-keys/{keyId}', () => {
  it("revokes the caller tenant's key; another tenant's key or an unknown id is 404 and stays live", async () => {
    const created = await call(createApiKey, post({ name: 'to-revoke' }));
    const keyId = created.body.keyId as string;
    const revoke = (principal = admin(), id = keyId) =>
      call(revokeApiKey, { method: 'DELETE', path: `/v1/api-keys/${id}`, params: { keyId: id }, principal });

    expect((await revoke(admin('ten_other'))).status).toBe(404);
    expect((await db.query('SELECT revoked_at FROM api_keys WHERE id = $1', [keyId]))[0]).toEqual({ revoked_at: null });
    expect((await revoke(admin(), 'key_doesnotexist00')).status).toBe(404);

    const res = await revoke();
    expect(res.status).toBe(204);
    expect(res.raw).toBe('');
    expect((await db.query<{ revoked_at: Date | null }>('SELECT revoked_at FROM api_keys WHERE id = $1', [keyId]))[0]!.revoked_at).toBeInstanceOf(
      Date,
    );
    expect((await revoke()).status).toBe(204);
  });

  it('rejects a malformed key id with 400 naming params.keyId', async () => {
    const res = await call(revokeApiKey, { method: 'DELETE', params: { keyId: "x' OR 1=1" }, principal: admin() });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(['params.keyId']);
  });
});

describe('tenants', () => {
  it('lets a platform admin create a tenant with a working first admin key', async () => {
    const res = await call(createTenant, { method: 'POST', path: '/v1/tenants', body: { name: 'Acme' }, principal: admin() });
    expect(res.status).toBe(201);
    expect(res.body.tenantId).toMatch(/^ten_/);
    expect(res.body.adminKey).toMatchObject({ tenantId: res.body.tenantId, role: 'admin' });
    const list = await call(listTenants, { path: '/v1/tenants', principal: admin(), query: { limit: '100' } });
    expect(list.body.items.map((t: { tenantId: string }) => t.tenantId)).toContain(res.body.tenantId);
  });

  it('refuses admins of other tenants and non-admins (403), creating nothing', async () => {
    const before = await db.query('SELECT id FROM tenants');
    expect((await call(createTenant, { method: 'POST', body: { name: 'Evil' }, principal: admin('ten_other') })).status).toBe(403);
    expect((await call(createTenant, { method: 'POST', body: { name: 'Evil' }, principal: viewer() })).status).toBe(403);
    expect((await call(listTenants, { principal: admin('ten_other') })).status).toBe(403);
    expect(await db.query('SELECT id FROM tenants')).toEqual(before);
  });

  it.each([
    [{ rawBody: 'null' }, 'body'],
    [{ body: {} }, 'body.name'],
    [{ body: { name: ['a'] } }, 'body.name'],
    [{ body: { name: 'ok', adminKeyName: '' } }, 'body.adminKeyName'],
  ])('rejects bad input %o with 400 naming %s', async (input, path) => {
    const res = await call(createTenant, { method: 'POST', principal: admin(), ...input });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });
});
