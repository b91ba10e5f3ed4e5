/**
 * Workspaces over REST through the local runtime: CRUD, members and roles, message history, tenancy, and
 * bad input on every route (4xx problem+json naming the field).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { addMember, createWorkspace, newUser, request, type TestUser } from './helpers.ts';

let rt: TestRuntime;
let owner: TestUser;
let editor: TestUser;
let viewer: TestUser;
let outsider: TestUser;
let admin: TestUser;
let otherTenant: TestUser;

beforeAll(async () => {
  rt = await startTestRuntime();
  [owner, editor, viewer, outsider, admin, otherTenant] = await Promise.all([
    newUser(rt),
    newUser(rt),
    newUser(rt, { roles: ['viewer'] }),
    newUser(rt),
    newUser(rt, { roles: ['admin'] }),
    newUser(rt, { roles: ['admin'], tenantId: 'ten_other0000' }),
  ]);
});
afterAll(() => rt?.stop());

const problem = (res: { status: number; headers: Headers; body: any }, status: number) => {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect(res.body.status).toBe(status);
};

describe('workspace CRUD', () => {
  it('creates, gets, lists, renames and deletes; the creator is owner', async () => {
    const created = await rt.fetchJson('/v1/workspaces', { method: 'POST', headers: owner.headers, json: { name: '  Design  ' } });
    expect(created.status).toBe(201);
    const id = created.body.workspaceId;
    expect(created.body).toMatchObject({ name: 'Design', role: 'owner', tenantId: 'default', createdBy: owner.userId, channel: `workspace:${id}` });

    expect((await rt.fetchJson(`/v1/workspaces/${id}`, { headers: owner.headers })).body).toMatchObject({ workspaceId: id, name: 'Design' });
    const list = await rt.fetchJson('/v1/workspaces', { headers: owner.headers });
    expect(list.body.items.map((w: any) => w.workspaceId)).toContain(id);

    const renamed = await rt.fetchJson(`/v1/workspaces/${id}`, { method: 'PATCH', headers: owner.headers, json: { name: 'Design v2' } });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe('Design v2');

    expect((await rt.fetchJson(`/v1/workspaces/${id}`, { method: 'DELETE', headers: owner.headers })).status).toBe(204);
    problem(await rt.fetchJson(`/v1/workspaces/${id}`, { headers: owner.headers }), 404);
  });

  it('lists only my workspaces, pages with a cursor; tenant admins see all of the tenant', async () => {
    const me = await newUser(rt);
    const ids = [await createWorkspace(rt, me, 'a'), await createWorkspace(rt, me, 'b'), await createWorkspace(rt, me, 'c')];
    await createWorkspace(rt, owner, 'not mine');
    const first = await rt.fetchJson('/v1/workspaces?limit=2', { headers: me.headers });
    expect(first.body.items).toHaveLength(2);
    const second = await rt.fetchJson(`/v1/workspaces?limit=2&cursor=${first.body.nextCursor}`, { headers: me.headers });
    expect([...first.body.items, ...second.body.items].map((w: any) => w.workspaceId)).toEqual(ids);
    expect(second.body.nextCursor).toBeNull();

    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await rt.fetchJson(`/v1/workspaces?limit=100${cursor ? `&cursor=${cursor}` : ''}`, { headers: admin.headers });
      all.push(...page.body.items.map((w: any) => w.workspaceId));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(all).toEqual(expect.arrayContaining(ids));
  });

  it('viewers (platform role) may not create workspaces', async () => {
    problem(await rt.fetchJson('/v1/workspaces', { method: 'POST', headers: viewer.headers, json: { name: 'x' } }), 403);
  });
});

describe('members and roles', () => {
  let id: string;
  beforeAll(async () => {
    id = await createWorkspace(rt, owner);
    await addMember(rt, owner, id, editor, 'editor');
    await addMember(rt, owner, id, viewer, 'viewer');
  });

  it('lists members with their roles', async () => {
    const res = await rt.fetchJson(`/v1/workspaces/${id}/members`, { headers: viewer.headers });
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      expect.objectContaining({ userId: owner.userId, role: 'owner' }),
      expect.objectContaining({ userId: editor.userId, role: 'editor', addedBy: owner.userId }),
      expect.objectContaining({ userId: viewer.userId, role: 'viewer' }),
    ]);
  });

  it('answers 409 for a member added twice', async () => {
    problem(
      await rt.fetchJson(`/v1/workspaces/${id}/members`, { method: 'POST', headers: owner.headers, json: { userId: editor.userId, role: 'viewer' } }),
      409,
    );
  });

  it('lets only owners and tenant admins manage; members see it, others get 404', async () => {
    problem(await rt.fetchJson(`/v1/workspaces/${id}`, { method: 'PATCH', headers: editor.headers, json: { name: 'x' } }), 403);
    problem(await rt.fetchJson(`/v1/workspaces/${id}/members`, { method: 'POST', headers: editor.headers, json: { userId: 'someone' } }), 403);
    problem(await rt.fetchJson(`/v1/workspaces/${id}/members/${viewer.userId}`, { method: 'DELETE', headers: editor.headers }), 403);
    expect((await rt.fetchJson(`/v1/workspaces/${id}`, { method: 'PATCH', headers: admin.headers, json: { name: 'By admin' } })).status).toBe(200);
    for (const who of [outsider, otherTenant]) {
      problem(await rt.fetchJson(`/v1/workspaces/${id}`, { headers: who.headers }), 404);
      problem(await rt.fetchJson(`/v1/workspaces/${id}/members`, { headers: who.headers }), 404);
      problem(await rt.fetchJson(`/v1/workspaces/${id}/messages`, { headers: who.headers }), 404);
      problem(await rt.fetchJson(`/v1/workspaces/${id}`, { method: 'DELETE', headers: who.headers }), 404);
      problem(
        await rt.fetchJson(`/v1/workspaces/${id}/members`, { method: 'POST', headers: who.headers, json: { userId: who.userId, role: 'owner' } }),
        404,
      );
    }
    expect((await rt.fetchJson('/v1/workspaces', { headers: otherTenant.headers })).body.items.map((w: any) => w.workspaceId)).not.toContain(id);
  });

  it('lets a member leave, keeps the last owner, and removes members', async () => {
    const temp = await newUser(rt);
    await addMember(rt, owner, id, temp, 'viewer');
    expect((await rt.fetchJson(`/v1/workspaces/${id}/members/${temp.userId}`, { method: 'DELETE', headers: temp.headers })).status).toBe(204);
    problem(await rt.fetchJson(`/v1/workspaces/${id}`, { headers: temp.headers }), 404);
    problem(await rt.fetchJson(`/v1/workspaces/${id}/members/${owner.userId}`, { method: 'DELETE', headers: owner.headers }), 409);
    problem(await rt.fetchJson(`/v1/workspaces/${id}/members/nobody-here`, { method: 'DELETE', headers: owner.headers }), 404);
  });
});

describe('message history', () => {
  it('pages messages newest first with before= from the channel log', async () => {
    const id = await createWorkspace(rt, owner);
    const ws = await rt.connect(owner.jwt);
    for (let i = 1; i <= 5; i++)
      expect(await request(ws, { action: 'publish', channel: `workspace:${id}`, data: { text: `m${i}` } })).toMatchObject({
        type: 'published',
        seq: i,
      });
    await ws.close();
    const first = await rt.fetchJson(`/v1/workspaces/${id}/messages?limit=3`, { headers: owner.headers });
    expect(first.status).toBe(200);
    expect(first.body.items.map((m: any) => m.body.text)).toEqual(['m5', 'm4', 'm3']);
    expect(first.body.items[0]).toMatchObject({ seq: 5, userId: owner.userId, at: expect.any(String) });
    const rest = await rt.fetchJson(`/v1/workspaces/${id}/messages?limit=3&before=${first.body.nextCursor}`, { headers: owner.headers });
    expect(rest.body).toEqual({ items: [expect.objectContaining({ seq: 2 }), expect.objectContaining({ seq: 1 })], nextCursor: null });
  });
});

describe('bad input on every route', () => {
  let id: string;
  beforeAll(async () => {
    id = await createWorkspace(rt, owner);
  });

  const field = async (path: string, init: RequestInit & { json?: unknown }, status: number, fieldPath?: string) => {
    const res = await rt.fetchJson(path, { ...init, headers: { ...owner.headers, ...(init.headers as Record<string, string>) } });
    problem(res, status);
    if (fieldPath) expect(res.body.errors.map((e: any) => e.path)).toContain(fieldPath);
    return res;
  };

  it('create: malformed JSON, wrong type, missing field, unknown field, oversize', async () => {
    await field('/v1/workspaces', { method: 'POST', body: '{"name":', headers: { 'content-type': 'application/json' } }, 400, 'body');
    await field('/v1/workspaces', { method: 'POST', json: { name: 42 } }, 400, 'body.name');
    await field('/v1/workspaces', { method: 'POST', json: {} }, 400, 'body.name');
    await field('/v1/workspaces', { method: 'POST', json: { name: '   ' } }, 400, 'body.name');
    await field('/v1/workspaces', { method: 'POST', json: { name: 'x'.repeat(101) } }, 400, 'body.name');
    await field('/v1/workspaces', { method: 'POST', json: { name: 'x', owner: 'me' } }, 400, 'body');
    await field('/v1/workspaces', { method: 'POST', json: { name: 'x'.repeat(300 * 1024) } }, 413);
  });

  it('list: bad limit and cursor', async () => {
    await field('/v1/workspaces?limit=0', {}, 400, 'query.limit');
    await field('/v1/workspaces?limit=abc', {}, 400, 'query.limit');
    await field('/v1/workspaces?cursor=not-a-cursor', {}, 400, 'query.cursor');
    await field(`/v1/workspaces/${id}/members?limit=1000`, {}, 400, 'query.limit');
  });

  it('bad workspace ids on every workspace route', async () => {
    for (const [method, suffix, json] of [
      ['GET', '', undefined],
      ['PATCH', '', { name: 'x' }],
      ['DELETE', '', undefined],
      ['GET', '/members', undefined],
      ['POST', '/members', { userId: 'u' }],
      ['GET', '/messages', undefined],
      ['DELETE', '/members/u', undefined],
    ] as const) {
      await field(`/v1/workspaces/not-an-id${suffix}`, { method, ...(json ? { json } : {}) }, 400, 'params.workspaceId');
    }
  });

  it('rename, members and history: wrong types and missing fields', async () => {
    await field(`/v1/workspaces/${id}`, { method: 'PATCH', json: { name: null } }, 400, 'body.name');
    await field(`/v1/workspaces/${id}`, { method: 'PATCH', body: 'nope', headers: { 'content-type': 'application/json' } }, 400, 'body');
    await field(`/v1/workspaces/${id}/members`, { method: 'POST', json: { role: 'editor' } }, 400, 'body.userId');
    await field(`/v1/workspaces/${id}/members`, { method: 'POST', json: { userId: 'u', role: 'king' } }, 400, 'body.role');
    await field(`/v1/workspaces/${id}/members`, { method: 'POST', json: { userId: 'has space' } }, 400, 'body.userId');
    await field(`/v1/workspaces/${id}/members`, { method: 'POST', json: { userId: 'x'.repeat(201) } }, 400, 'body.userId');
    await field(`/v1/workspaces/${id}/members/${'x'.repeat(201)}`, { method: 'DELETE' }, 400, 'params.userId');
    await field(`/v1/workspaces/${id}/messages?before=-1`, {}, 400, 'query.before');
    await field(`/v1/workspaces/${id}/messages?before=abc&limit=0`, {}, 400, 'query.limit');
  });

  it('refuses NUL and lone surrogates (which PostgreSQL cannot store) in body, path and query, naming the field', async () => {
    const crafted = (position: object) => Buffer.from(JSON.stringify(position)).toString('base64url');
    await field('/v1/workspaces', { method: 'POST', json: { name: 'a\u0000b' } }, 400, 'body.name');
    await field('/v1/workspaces', { method: 'POST', json: { name: 'a\udc00' } }, 400, 'body.name');
    await field(`/v1/workspaces/${id}`, { method: 'PATCH', json: { name: 'x\u0000' } }, 400, 'body.name');
    await field(`/v1/workspaces/${id}/members`, { method: 'POST', json: { userId: 'u\u0000' } }, 400, 'body.userId');
    await field(`/v1/workspaces/${id}/members/u%00x`, { method: 'DELETE' }, 400, 'params.userId');
    await field(`/v1/workspaces/${id}/members?cursor=${crafted({ at: '0000-01-01T00:00:00Z', id: 'u' })}`, {}, 400, 'query.cursor');
    await field(`/v1/workspaces?cursor=${crafted({ at: '2024-01-01T00:00:00Z', id: 'wsp_\u0000' })}`, {}, 400, 'query.cursor');
    const list = await rt.fetchJson(`/v1/workspaces/${id}/members`, { headers: owner.headers });
    expect(list.body.items.map((m: any) => m.userId)).toEqual([owner.userId]);
  });

  it('refuses calls without credentials', async () => {
    const res = await rt.fetchJson('/v1/workspaces');
    problem(res, 401);
  });
});
