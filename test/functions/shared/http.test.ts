/** The shared HTTP stack, through a route of its own: what every handler's callers get on bad input. */
import { describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  // The 500 case logs its cause at ERROR by design; keep the test output clean.
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});

import * as z from 'zod';
import type { HttpRoute } from '#shared/manifest.types.ts';
import { ConflictError, NotFoundError } from '#shared/errors.ts';
import { httpHandler, MAX_BODY_BYTES, ok } from '#shared/http.ts';
import { admin, call, viewer } from '../helpers/events.ts';

const route = {
  method: 'POST',
  path: '/v1/things/{thingId}',
  summary: 'test',
  roles: ['admin', 'developer'],
  request: {
    params: z.object({ thingId: z.string().regex(/^thg_\w+$/) }),
    query: z.object({ dryRun: z.enum(['true', 'false']).optional() }),
    body: z.strictObject({ name: z.string().min(1), count: z.number().int() }),
  },
} satisfies HttpRoute;

const calls: unknown[] = [];
const handler = httpHandler(route, (req) => {
  calls.push(req.body);
  if (req.body.name === 'boom') throw new Error('database password is hunter2');
  if (req.body.name === 'taken') throw new ConflictError('A thing with this name exists');
  if (req.body.name === 'missing') throw new NotFoundError('No such thing');
  return ok({ thing: req.params.thingId, body: req.body, principal: req.principal });
});

const good = { params: { thingId: 'thg_1' }, body: { name: 'a', count: 1 }, principal: admin() };

describe('httpHandler', () => {
  it('hands validated input and the principal to the use case', async () => {
    const res = await call(handler, good);
    expect(res.status).toBe(200);
    expect(res.headers['Content-Type']).toBe('application/json');
    expect(res.body).toEqual({ thing: 'thg_1', body: { name: 'a', count: 1 }, principal: admin() });
  });

  it('answers 401 when no principal reached an authenticated route', async () => {
    const res = await call(handler, { ...good, principal: undefined });
    expect(res.status).toBe(401);
    expect(res.headers['Content-Type']).toBe('application/problem+json');
  });

  it('answers 403 for a role the route does not allow, before looking at the input', async () => {
    const before = calls.length;
    const res = await call(handler, { ...good, rawBody: '{not json', principal: viewer() });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ type: '/problems/forbidden', title: 'Forbidden', status: 403 });
    expect(calls.length).toBe(before);
  });

  it('answers 400 naming the body for malformed JSON', async () => {
    const res = await call(handler, { ...good, rawBody: '{"name": "a",' });
    expect(res.status).toBe(400);
    expect(res.headers['Content-Type']).toBe('application/problem+json');
    expect(res.body.errors).toEqual([expect.objectContaining({ path: 'body' })]);
  });

  it('names every bad field: wrong types, missing fields, unknown fields, bad params and query', async () => {
    const before = calls.length;
    const res = await call(handler, {
      principal: admin(),
      params: { thingId: 'nope' },
      query: { dryRun: 'maybe' },
      body: { name: 42, extra: true },
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ type: '/problems/validation', status: 400, title: 'Invalid request' });
    const paths = res.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['params.thingId', 'query.dryRun', 'body.name', 'body.count', 'body']));
    for (const e of res.body.errors) expect(typeof e.message).toBe('string');
    expect(calls.length).toBe(before);
  });

  it('refuses NUL and lone surrogates (PostgreSQL cannot store them) in body, keys, params and query, naming each', async () => {
    const before = calls.length;
    const cases: Array<[string, Parameters<typeof call>[1], string]> = [
      ['NUL in the body', { ...good, body: { name: 'a\u0000', count: 1 } }, 'body.name'],
      ['lone surrogate in the body', { ...good, body: { name: '\udc00', count: 1 } }, 'body.name'],
      ['NUL in a key', { ...good, body: { name: 'a', count: 1, 'k\u0000': 1 } }, 'body.k\\u0000'],
      ['NUL in a path parameter', { ...good, params: { thingId: 'thg_\u0000' } }, 'params.thingId'],
      ['lone surrogate in a path parameter', { ...good, params: { thingId: 'thg_\ud800' } }, 'params.thingId'],
      ['NUL in a query value', { ...good, query: { dryRun: 'true\u0000' } }, 'query.dryRun'],
    ];
    for (const [label, input, path] of cases) {
      const res = await call(handler, input);
      expect(res.status, label).toBe(400);
      expect(res.headers['Content-Type'], label).toBe('application/problem+json');
      expect(res.body.errors, label).toContainEqual({ path, message: expect.any(String) });
    }
    // Escaped in the JSON text, as clients send them.
    const raw = await call(handler, { ...good, rawBody: '{"name":"\\ud800x","count":1}' });
    expect(raw.status).toBe(400);
    expect(raw.body.errors).toEqual([expect.objectContaining({ path: 'body.name' })]);
    expect(calls.length).toBe(before);
  });

  it('answers 400 for a missing body where one is required', async () => {
    const res = await call(handler, { ...good, body: undefined });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ path: 'body' })]);
  });

  it('answers 413 above the body limit and 415 for a non-JSON content type', async () => {
    const big = await call(handler, { ...good, body: { name: 'x'.repeat(MAX_BODY_BYTES), count: 1 } });
    expect(big.status).toBe(413);
    expect(big.body.type).toBe('/problems/payload-too-large');
    const form = await call(handler, { ...good, rawBody: 'name=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
  });

  it('maps domain errors to their status', async () => {
    expect((await call(handler, { ...good, body: { name: 'taken', count: 1 } })).status).toBe(409);
    expect((await call(handler, { ...good, body: { name: 'missing', count: 1 } })).status).toBe(404);
  });

  it('answers an unexpected error with a generic 500: no message, no stack', async () => {
    const res = await call(handler, { ...good, body: { name: 'boom', count: 1 } });
    expect(res.status).toBe(500);
    expect(res.body).toEqual({
      type: '/problems/internal',
      title: 'Internal server error',
      status: 500,
      detail: 'An unexpected error occurred. It has been logged.',
    });
    expect(res.raw).not.toContain('hunter2');
    expect(res.raw).not.toContain('at ');
  });

  it('sets CORS headers on success and on errors', async () => {
    const okRes = await call(handler, { ...good, headers: { origin: 'https://app.example.com' } });
    expect(okRes.headers['Access-Control-Allow-Origin']).toBe('*');
    const errRes = await call(handler, { ...good, rawBody: '{', headers: { origin: 'https://app.example.com' } });
    expect(errRes.headers['Access-Control-Allow-Origin']).toBe('*');
  });
});
