/** The channel event log: gap-free per-channel seqs under concurrency, tenant-scoped reads, fan-out after store. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { ChannelEventStore, type ChannelEvent, type EventFanout } from '#shared/channel-events.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

let db: TestDatabase;
let pool: pg.Pool;
beforeAll(async () => {
  db = await createTestDatabase();
  await db.query(`INSERT INTO tenants (id, name) VALUES ('ta', 'A'), ('tb', 'B')`);
  pool = new pg.Pool({ connectionString: db.url, max: 8 });
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

describe('ChannelEventStore', () => {
  it('numbers events 1, 2, 3… per channel with no gap or repeat under concurrent writers', async () => {
    const store = new ChannelEventStore(pool);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.append('ta', 'workspace:w1', [
          { kind: 'message', data: { i } },
          { kind: 'message', data: { i, second: true } },
        ]),
      ),
    );
    await store.append('ta', 'workspace:w2', [{ kind: 'message' }]);
    const events = await store.listAfter('ta', 'workspace:w1', 0, 100);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    // Both events of one append are consecutive.
    for (let i = 0; i < 40; i += 2) expect(events[i + 1]!.data).toEqual({ ...(events[i]!.data as object), second: true });
    expect(await store.head('workspace:w1')).toBe(40);
    expect((await store.listAfter('ta', 'workspace:w2', 0, 10)).map((e) => e.seq)).toEqual([1]);
  });

  it('stores data holding NUL and lone surrogates (tool output from binary files) with them replaced by U+FFFD', async () => {
    const store = new ChannelEventStore(pool);
    const [event] = await store.append('ta', 'execution:binary', [
      { kind: 'execution.tool_result', data: { output: 'a\u0000b\udc00', 'k\u0000': 1 } },
    ]);
    expect(event!.data).toEqual({ output: 'a\uFFFDb\uFFFD', 'k\uFFFD': 1 });
    expect((await store.listAfter('ta', 'execution:binary', 0, 10)).map((e) => e.data)).toEqual([event!.data]);
  });

  it('reads after a seq in order, and before a seq newest first, filtered by kind', async () => {
    const store = new ChannelEventStore(pool);
    await store.append('ta', 'execution:e1', [
      { kind: 'execution.started' },
      { kind: 'execution.token', data: { text: 'hi' } },
      { kind: 'execution.succeeded' },
    ]);
    expect((await store.listAfter('ta', 'execution:e1', 1, 10)).map((e) => e.kind)).toEqual(['execution.token', 'execution.succeeded']);
    expect((await store.listBefore('ta', 'execution:e1', 3, 10)).map((e) => e.seq)).toEqual([2, 1]);
    expect((await store.listBefore('ta', 'execution:e1', undefined, 10, ['execution.token'])).map((e) => e.seq)).toEqual([2]);
  });

  it("never returns another tenant's events", async () => {
    const store = new ChannelEventStore(pool);
    await store.append('ta', 'execution:secret', [{ kind: 'execution.started' }]);
    expect(await store.listAfter('tb', 'execution:secret', 0, 10)).toEqual([]);
    expect(await store.listBefore('tb', 'execution:secret', undefined, 10)).toEqual([]);
  });

  it('fans out exactly what it stored, with the seqs and timestamps', async () => {
    const seen: Array<{ tenantId: string; events: ChannelEvent[] }> = [];
    const fanout: EventFanout = { fanOut: async (tenantId, events) => void seen.push({ tenantId, events }) };
    const stored = await new ChannelEventStore(pool, fanout).append('ta', 'workspace:fan', [{ kind: 'message', data: { text: 'x' } }]);
    expect(seen).toEqual([{ tenantId: 'ta', events: stored }]);
    expect(stored[0]).toMatchObject({ channel: 'workspace:fan', seq: 1, kind: 'message', data: { text: 'x' } });
    expect(Number.isNaN(Date.parse(stored[0]!.at))).toBe(false);
  });
});
