/**
 * The deploy-time migration waits for a database that is not reachable yet (a first deploy runs it as soon as
 * the cluster and proxy exist), with growing delays, and gives up on anything else at once. Real PostgreSQL and
 * real connection failures (a port nothing listens on); only the sleeping is recorded instead of waited.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryConnectionFailures, runMigrations } from '#functions/platform/migrate.handler.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

let db: TestDatabase;
let deadUrl: string;
beforeAll(async () => {
  db = await createTestDatabase();
  // A port that was free a moment ago: connecting to it is refused, as to a database not listening yet.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  deadUrl = `postgres://mls:mls@127.0.0.1:${port}/mls`;
});
afterAll(async () => {
  await db?.drop();
});

const recorder = () => {
  const delays: number[] = [];
  return { delays, sleep: async (ms: number) => void delays.push(ms) };
};

describe('migrate on deploy', () => {
  it('retries a refused connection with doubling delays, then migrates once the database answers', async () => {
    const { delays, sleep } = recorder();
    let attempts = 0;
    const result = await retryConnectionFailures(() => runMigrations(++attempts <= 4 ? deadUrl : db.url), { sleep, maxDelayMs: 5_000 });
    expect(result).toEqual({ applied: [] });
    expect(attempts).toBe(5);
    expect(delays).toEqual([1_000, 2_000, 4_000, 5_000]);
  });

  it('does not retry what waiting cannot fix (a database that does not exist)', async () => {
    const { delays, sleep } = recorder();
    const missing = new URL(db.url);
    missing.pathname = '/no_such_database_here';
    await expect(retryConnectionFailures(() => runMigrations(missing.toString()), { sleep })).rejects.toMatchObject({ code: '3D000' });
    expect(delays).toEqual([]);
  });

  it('stops at the deadline with the last connection failure', async () => {
    const controller = new AbortController();
    let attempts = 0;
    const sleep = async () => {
      if (attempts === 3) controller.abort();
    };
    await expect(
      retryConnectionFailures(
        () => {
          attempts++;
          return runMigrations(deadUrl);
        },
        { sleep, signal: controller.signal },
      ),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(attempts).toBe(3);
  });
});
