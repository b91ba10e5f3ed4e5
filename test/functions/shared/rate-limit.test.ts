/**
 * The fixed-window counter against a real DynamoDB emulator (dynalite), with a pinned clock; then the
 * shared HTTP stack's limits, through handlers whose limiter reaches dynalite via the standard environment.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  // The fail-open case logs a warning by design; keep the test output clean.
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});

import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tables } from '#shared/resources.ts';
import type { HttpRoute } from '#shared/manifest.types.ts';
import { httpHandler, ok } from '#shared/http.ts';
import { DEFAULT_PER_MINUTE, perMinuteFromEnv, RateLimiter, type LimitRule } from '#shared/rate-limit.ts';
import { startRateLimitTable, type RateLimitTable } from '../../support/rate-limit-table.ts';
import { admin, call } from '../helpers/events.ts';

const TABLE = 'rate-limits-test';
// 30 s into a minute: the window runs from WINDOW_START to WINDOW_START + 60.
const WINDOW_START = 1_800_000_000 - (1_800_000_000 % 60);
const at = (seconds: number) => () => (WINDOW_START + seconds) * 1000;
const tenantRule = (perMinute: number): LimitRule => ({ scope: 'tenant', perMinute, label: 'for this tenant' });

let table: RateLimitTable | undefined;
let db: DynamoDBDocumentClient;

beforeAll(async () => {
  table = await startRateLimitTable(TABLE);
  db = table.db;
  // What the stack / local runtime hand a function: its handlers build their limiter from these.
  Object.assign(process.env, {
    [tables.rateLimits.env]: TABLE,
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${table.port}`,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    RATE_LIMIT_PER_MINUTE: '4',
  });
});
afterAll(() => table?.stop());

describe('RateLimiter', () => {
  const stored = async (tenantId: string, scope = 'tenant'): Promise<number> =>
    Number((await db.send(new GetCommand({ TableName: TABLE, Key: { pk: `${tenantId}#${scope}#${WINDOW_START}` } }))).Item?.count ?? 0);

  it('far from the limit, reserves requests in batches: fewer writes, the same answers', async () => {
    const limiter = new RateLimiter({ db, table: TABLE, now: at(5) });
    const states = [];
    for (let i = 0; i < 25; i++) states.push((await limiter.hit('ten_batch', [tenantRule(1200)]))![0]!);
    expect(states.every((s) => !s.exceeded)).toBe(true);
    expect(states.map((s) => s.count)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(states.at(-1)!.remaining).toBe(1175);
    // Three writes of ten: reserved but unserved requests count, so the window only gets stricter.
    expect(await stored('ten_batch')).toBe(30);
  });

  it('serves exactly the limit, counting one by one as it nears', async () => {
    const limiter = new RateLimiter({ db, table: TABLE, now: at(5) });
    let served = 0;
    for (let i = 0; i < 160; i++) if (!(await limiter.hit('ten_exact', [tenantRule(150)]))![0]!.exceeded) served += 1;
    expect(served).toBe(150);
  });

  it('answers from memory once exceeded: a flood costs no more writes', async () => {
    const limiter = new RateLimiter({ db, table: TABLE, now: at(5) });
    const states = [];
    for (let i = 0; i < 50; i++) states.push((await limiter.hit('ten_flood', [tenantRule(3)]))![0]!);
    expect(states.filter((s) => !s.exceeded)).toHaveLength(3);
    expect(states.slice(3).every((s) => s.exceeded && s.remaining === 0)).toBe(true);
    expect(await stored('ten_flood')).toBe(4);
  });

  it("counts a tenant's requests in the window and flags the one past the limit", async () => {
    const limiter = new RateLimiter({ db, table: TABLE, now: at(30) });
    const states = [];
    for (let i = 0; i < 4; i++) states.push((await limiter.hit('ten_a', [tenantRule(3)]))![0]!);
    expect(states.map((s) => [s.count, s.remaining, s.exceeded])).toEqual([
      [1, 2, false],
      [2, 1, false],
      [3, 0, false],
      [4, 0, true],
    ]);
    // Seconds to the window's end, what Retry-After says.
    expect(states[3]!.resetSeconds).toBe(30);
  });

  it('keeps separate counters per tenant and per scope', async () => {
    const limiter = new RateLimiter({ db, table: TABLE, now: at(10) });
    await limiter.hit('ten_b', [tenantRule(1)]);
    const [otherTenant] = (await limiter.hit('ten_c', [tenantRule(1)]))!;
    expect(otherTenant).toMatchObject({ count: 1, exceeded: false });

    const routeRule: LimitRule = { scope: 'route:POST /v1/x', perMinute: 1, label: 'for POST /v1/x' };
    const [tenant, route] = (await limiter.hit('ten_b', [tenantRule(10), routeRule]))!;
    expect(tenant).toMatchObject({ count: 2, exceeded: false });
    expect(route).toMatchObject({ count: 1, exceeded: false, rule: routeRule });
  });

  it('starts the next window at zero and marks each window item for TTL cleanup after it ends', async () => {
    await new RateLimiter({ db, table: TABLE, now: at(59) }).hit('ten_d', [tenantRule(1)]);
    const [late] = (await new RateLimiter({ db, table: TABLE, now: at(59) }).hit('ten_d', [tenantRule(1)]))!;
    expect(late).toMatchObject({ exceeded: true, resetSeconds: 1 });
    const [next] = (await new RateLimiter({ db, table: TABLE, now: at(60) }).hit('ten_d', [tenantRule(1)]))!;
    expect(next).toMatchObject({ count: 1, exceeded: false, resetSeconds: 60 });

    const { Item } = await db.send(new GetCommand({ TableName: TABLE, Key: { pk: `ten_d#tenant#${WINDOW_START}` } }));
    expect(Item?.[tables.rateLimits.ttl]).toBeGreaterThan(WINDOW_START + 60);
  });

  it('fails open: answers undefined (serve the request) when the table cannot be used', async () => {
    const limiter = new RateLimiter({ db, table: 'no-such-table', now: at(0) });
    await expect(limiter.hit('ten_e', [tenantRule(1)])).resolves.toBeUndefined();
  });
});

describe('perMinuteFromEnv', () => {
  it('reads a positive integer and falls back to the default otherwise', () => {
    expect(perMinuteFromEnv('5')).toBe(5);
    for (const bad of ['', ' ', 'lots', '0', '-3', '2.5']) expect(perMinuteFromEnv(bad)).toBe(DEFAULT_PER_MINUTE);
  });
});

describe('httpHandler rate limits', () => {
  const limitedRoute = { method: 'POST', path: '/v1/costly', summary: 'costly', rateLimit: { perMinute: 2 } } satisfies HttpRoute;
  const plainRoute = { method: 'GET', path: '/v1/cheap', summary: 'cheap' } satisfies HttpRoute;
  const publicRoute = { method: 'GET', path: '/v1/public', summary: 'public', auth: 'none' } satisfies HttpRoute;
  const limited = httpHandler(limitedRoute, () => ok({ done: true }));
  const plain = httpHandler(plainRoute, () => ok({ done: true }));
  const open = httpHandler(publicRoute, () => ok({ done: true }));

  it("applies a route's own limit to that route only, on top of the tenant-wide RATE_LIMIT_PER_MINUTE", async () => {
    const principal = admin('ten_handler');
    const first = await call(limited, { method: 'POST', principal });
    expect(first.status).toBe(200);
    // The tighter of the two limits is reported: the route's 2 (1 left), not the tenant's 4 (3 left).
    expect(first.headers).toMatchObject({ 'RateLimit-Limit': '2', 'RateLimit-Remaining': '1' });
    expect((await call(limited, { method: 'POST', principal })).status).toBe(200);

    const over = await call(limited, { method: 'POST', principal });
    expect(over.status).toBe(429);
    expect(over.headers).toMatchObject({ 'Content-Type': 'application/problem+json', 'RateLimit-Limit': '2', 'RateLimit-Remaining': '0' });
    expect(over.body).toMatchObject({ type: '/problems/too-many-requests', title: 'Too many requests', status: 429 });
    expect(over.body.detail).toContain('2 requests per minute for POST /v1/costly');
    expect(Number(over.headers['Retry-After'])).toBeGreaterThanOrEqual(1);

    // The tenant's 4th request, on another route: the route limit does not apply there.
    const other = await call(plain, { principal });
    expect(other.status).toBe(200);
    expect(other.headers).toMatchObject({ 'RateLimit-Limit': '4', 'RateLimit-Remaining': '0' });
    expect(other.headers['Retry-After']).toBeUndefined();

    const fifth = await call(plain, { principal });
    expect(fifth.status).toBe(429);
    expect(fifth.body.detail).toContain('4 requests per minute for this tenant');
  });

  it('does not count unauthenticated routes', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await call(open);
      expect(res.status).toBe(200);
      expect(res.headers['RateLimit-Limit']).toBeUndefined();
    }
  });
});
