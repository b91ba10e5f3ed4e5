/**
 * The faults a hostile and a careless client found (issue 11), each pinned at its root through the local
 * runtime: request shapes that broke the gateway before any handler ran, deep JSON, dot segments as ids,
 * frames naming reserved routes, over-long headers, CR/LF in ids, keys in URLs, and what a new tenant's first
 * key says about who made it. The fuzz suite (fuzz.test.ts) looks for the ones nobody has found yet.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorPaths, problemOf } from '../support/problem.ts';
import { startTestRuntime, type JsonResponse, type TestRuntime } from '../support/runtime.ts';
import { createWorkspace, isEvent, newUser, request, type TestUser } from '../realtime/helpers.ts';

let rt: TestRuntime;
let owner: TestUser;
beforeAll(async () => {
  rt = await startTestRuntime();
  owner = await newUser(rt, { roles: ['developer'] });
});
afterAll(() => rt?.stop());

/**
 * A request exactly as written: fetch() normalizes paths (`..` and `%2E%2E` alike) and refuses odd header
 * names and values, which is what a hand-made client or a proxy would not do.
 */
const raw = (method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<JsonResponse> =>
  new Promise((resolve, reject) => {
    const url = new URL(rt.restUrl);
    const req = httpRequest(
      { host: url.hostname, port: url.port, method, path, headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
          resolve({ status: res.statusCode ?? 0, headers: h, body: parsed, text });
        });
      },
    );
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });

describe('request shapes the gateway must take in its stride', () => {
  it.each([
    ['a header named constructor', { constructor: 'x' }],
    ['a header named __proto__', { __proto__: 'x' } as Record<string, string>],
    ['headers named toString and hasOwnProperty', { toString: 'x', hasOwnProperty: 'y' }],
  ])('answers %s without credentials with 401, and with them as usual', async (_label, headers) => {
    const anonymous = await raw('GET', '/v1/me', headers);
    expect(anonymous.status).toBe(401);
    problemOf(anonymous);
    const me = await raw('GET', '/v1/me', { ...headers, authorization: owner.headers.authorization! });
    expect(me.status).toBe(200);
  });

  it('answers query parameters named after Object built-ins like any other', async () => {
    expect((await raw('GET', '/v1/me?constructor=1&__proto__=2&toString=3')).status).toBe(401);
    const listed = await raw('GET', '/v1/workspaces?constructor=1&__proto__=2&hasOwnProperty=3', owner.headers);
    expect(listed.status).toBe(200);
  });

  it('answers over-long headers with problem+json 431', async () => {
    const res = await raw('GET', '/v1/me', { ...owner.headers, 'x-padding': 'a'.repeat(64 * 1024) });
    expect(res.status).toBe(431);
    problemOf(res);
  });
});

describe('JSON nested deeper than any request needs', () => {
  it('is a 400 naming the body, not a stack overflow', async () => {
    const deep = `{"name":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    const res = await raw('POST', '/v1/workspaces', owner.headers, deep);
    expect(res.status).toBe(400);
    expect(errorPaths(res)).toEqual(['body']);
    expect((await raw('GET', '/v1/me', owner.headers)).status).toBe(200);
  });

  it('is an error frame over WebSocket, and the connection stays usable', async () => {
    const workspaceId = await createWorkspace(rt, owner);
    const ws = await rt.connect(owner.jwt);
    try {
      const deep = `${'['.repeat(20_000)}1${']'.repeat(20_000)}`;
      ws.send(`{"action":"publish","id":"deep","channel":"workspace:${workspaceId}","data":${deep}}`);
      expect(await ws.nextMessage((m) => m.id === 'deep')).toMatchObject({ type: 'error', status: 400 });
      expect(await request(ws, { action: 'publish', channel: `workspace:${workspaceId}`, data: 'fine' })).toMatchObject({ type: 'published' });
    } finally {
      await ws.close();
    }
  });
});

describe('ids that would change a URL once put back into one', () => {
  it.each(['..', '%2E%2E', '%2e%2E', '.', '%2E'])('refuses %s as a member id with a 400 naming it, and deletes nothing', async (id) => {
    const workspaceId = await createWorkspace(rt, owner);
    const res = await raw('DELETE', `/v1/workspaces/${workspaceId}/members/${id}`, owner.headers);
    expect(res.status).toBe(400);
    expect(errorPaths(res)).toEqual(['params.userId']);
    expect((await rt.fetchJson(`/v1/workspaces/${workspaceId}`, { headers: owner.headers })).status).toBe(200);
  });

  it('refuses a member id with a separator or a control character as 400, not 403', async () => {
    const workspaceId = await createWorkspace(rt, owner);
    for (const id of ['a%2Fb', 'a%5Cb', 'x%0D%0Ay', '%00']) {
      const res = await raw('DELETE', `/v1/workspaces/${workspaceId}/members/${id}`, owner.headers);
      expect(`${id}: ${res.status}`).toBe(`${id}: 400`);
      problemOf(res);
    }
    const added = await rt.fetchJson(`/v1/workspaces/${workspaceId}/members`, {
      method: 'POST',
      headers: owner.headers,
      json: { userId: '..', role: 'viewer' },
    });
    expect(added.status).toBe(400);
    expect(errorPaths(added)).toEqual(['body.userId']);
  });

  it('refuses CR/LF in a typed id with 400', async () => {
    const res = await raw('GET', '/v1/workspaces/wsp_aaaaaaaa%0D%0Ax', owner.headers);
    expect(res.status).toBe(400);
    expect(errorPaths(res)).toEqual(['params.workspaceId']);
  });
});

describe('WebSocket frames naming the gateway’s own routes', () => {
  it.each(['$disconnect', '$connect', '$default'])('never reach them: %s is an unknown action and the subscription stays live', async (action) => {
    const workspaceId = await createWorkspace(rt, owner);
    const channel = `workspace:${workspaceId}`;
    const ws = await rt.connect(owner.jwt);
    try {
      expect(await request(ws, { action: 'subscribe', channel })).toMatchObject({ type: 'subscribed' });
      ws.send({ action });
      expect(await ws.nextMessage((m) => m.type === 'error')).toMatchObject({ status: 400, title: 'Unknown action' });
      const publisher = await rt.connect(owner.jwt);
      await request(publisher, { action: 'publish', channel, data: 'still here?' });
      expect(await ws.nextMessage(isEvent(channel, 'message'))).toMatchObject({ event: { data: { body: 'still here?' } } });
      await publisher.close();
    } finally {
      await ws.close();
    }
  });
});

describe('credentials', () => {
  it('are never taken from the URL of a REST request', async () => {
    const res = await raw('GET', `/v1/me?token=${encodeURIComponent(rt.apiKey)}`);
    expect(res.status).toBe(401);
  });

  it("give a new tenant's first admin key no creator from another tenant", async () => {
    const created = await rt.fetchJson('/v1/tenants', { method: 'POST', headers: { 'x-api-key': rt.apiKey }, json: { name: 'Acme' } });
    expect(created.status).toBe(201);
    expect(created.body.adminKey.createdBy).toBeNull();
    const listed = await rt.fetchJson('/v1/api-keys', { headers: { 'x-api-key': created.body.adminKey.apiKey } });
    expect(listed.body.items.map((k: { createdBy: unknown }) => k.createdBy)).toEqual([null]);
  });
});

describe('OpenAPI patterns', () => {
  it('are ECMA-262 patterns a client validator can compile without flags, and that accept the examples', async () => {
    const doc = (await rt.fetchJson('/openapi.json')).body;
    const patterns: Array<{ at: string; pattern: string; example?: unknown }> = [];
    const visit = (node: unknown, at: string): void => {
      if (Array.isArray(node)) for (const [i, n] of node.entries()) visit(n, `${at}/${i}`);
      else if (node && typeof node === 'object') {
        const o = node as Record<string, unknown>;
        if (typeof o.pattern === 'string') patterns.push({ at, pattern: o.pattern, example: o.example });
        for (const [k, v] of Object.entries(o)) visit(v, `${at}/${k}`);
      }
    };
    visit(doc, '');
    expect(patterns.length).toBeGreaterThan(0);
    for (const { at, pattern, example } of patterns) {
      const regex = new RegExp(pattern);
      if (typeof example === 'string') expect(`${at}: ${regex.test(example)}`).toBe(`${at}: true`);
    }
    expect(new RegExp(doc.components.schemas.CreateFileRequest.properties.filename.pattern).test('diagram.png')).toBe(true);
  });
});
