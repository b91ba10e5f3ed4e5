/**
 * How the rate limiter sizes and shares its reservations (issue 12): concurrent requests wait for one
 * write instead of each writing, a busy container reserves about a second of its own traffic per write,
 * and never more than a tenth of what the window has left. Against a real DynamoDB emulator (dynalite).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { RateLimiter, type LimitRule } from '#shared/rate-limit.ts';
import { startRateLimitTable, type RateLimitTable } from '../../support/rate-limit-table.ts';

const TABLE = 'rate-limits-batching-test';
const WINDOW_START = 1_800_000_000 - (1_800_000_000 % 60);
const tenantRule = (perMinute: number): LimitRule => ({ scope: 'tenant', perMinute, label: 'for this tenant' });

let table: RateLimitTable | undefined;
let db: DynamoDBDocumentClient;

beforeAll(async () => {
  table = await startRateLimitTable(TABLE);
  db = table.db;
});
afterAll(() => table?.stop());

const stored = async (tenantId: string): Promise<number> =>
  Number((await db.send(new GetCommand({ TableName: TABLE, Key: { pk: `${tenantId}#tenant#${WINDOW_START}` } }))).Item?.count ?? 0);

/** A limiter whose clock the test moves: `clock.seconds` into the window. */
const limiterAt = () => {
  const clock = { seconds: 5 };
  return { clock, limiter: new RateLimiter({ db, table: TABLE, now: () => (WINDOW_START + clock.seconds) * 1000 }) };
};

describe('RateLimiter reservations', () => {
  it('serves a concurrent burst from shared reservations: every request counted once, no write per request', async () => {
    const { limiter } = limiterAt();
    const states = await Promise.all(Array.from({ length: 50 }, () => limiter.hit('ten_burst', [tenantRule(1200)])));
    expect(states.every((s) => s !== undefined && !s[0]!.exceeded)).toBe(true);
    expect(states.map((s) => s![0]!.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    // Five reservations of ten, not fifty (each of which would have reserved ten: 500 counted).
    expect(await stored('ten_burst')).toBe(50);
  });

  it('reserves about one second of the container’s own traffic per write when far from the limit', async () => {
    const { clock, limiter } = limiterAt();
    for (let i = 0; i < 300; i++) await limiter.hit('ten_rate', [tenantRule(1_000_000)]);
    expect(await stored('ten_rate')).toBe(300);
    clock.seconds = 6;
    const [first] = (await limiter.hit('ten_rate', [tenantRule(1_000_000)]))!;
    expect(first).toMatchObject({ count: 301, exceeded: false });
    expect(await stored('ten_rate')).toBe(600);
    for (let i = 0; i < 299; i++) await limiter.hit('ten_rate', [tenantRule(1_000_000)]);
    // The other 299 came from memory.
    expect(await stored('ten_rate')).toBe(600);
  });

  it('never reserves more than a tenth of what the window has left, and still serves exactly the limit', async () => {
    const { clock, limiter } = limiterAt();
    for (let i = 0; i < 150; i++) await limiter.hit('ten_cap', [tenantRule(1000)]);
    clock.seconds = 6;
    await limiter.hit('ten_cap', [tenantRule(1000)]);
    // 150 served last second, but only (1000 - 150) / 10 = 85 may be reserved at once.
    expect(await stored('ten_cap')).toBe(235);
    let served = 151;
    for (let i = 0; i < 1000; i++) if (!(await limiter.hit('ten_cap', [tenantRule(1000)]))![0]!.exceeded) served += 1;
    expect(served).toBe(1000);
  });

  it('counts a burst near the limit one by one: exactly the limit is served', async () => {
    const { limiter } = limiterAt();
    const states = await Promise.all(Array.from({ length: 80 }, () => limiter.hit('ten_near', [tenantRule(60)])));
    expect(states.filter((s) => !s![0]!.exceeded)).toHaveLength(60);
  });
});
