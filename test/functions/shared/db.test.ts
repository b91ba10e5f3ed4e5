/**
 * Database secret rotation: a pool built from the secret keeps working when the password changes under it
 * (re-read once, bypassing the cache), and a password that stays wrong fails with the authentication error
 * after exactly one re-read. Real PostgreSQL (scram-sha-256), the secret served from memory through the
 * secret-reader port that Secrets Manager fills in AWS.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createSecretPool, isConnectionFailure, transaction, type DbSecret, type DbSecretReader } from '#shared/db.ts';

const admin = new URL(inject('databaseUrl'));
const role = `h11_rotation_${randomBytes(4).toString('hex')}`;
const newPassword = (): string => randomBytes(18).toString('base64url');
const pools: pg.Pool[] = [];

const adminQuery = async (sql: string): Promise<void> => {
  const client = new pg.Client({ connectionString: admin.href });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
};
const setPassword = (password: string) => adminQuery(`ALTER ROLE ${role} PASSWORD '${password}'`);

/** The secret as Secrets Manager would hold it, and a reader that counts the cache-bypassing reads. */
const memorySecret = (password: string) => {
  const store = {
    value: { username: role, password, host: admin.hostname, port: admin.port, dbname: 'postgres' } as DbSecret,
    forcedReads: 0,
  };
  const read: DbSecretReader = async ({ forceFetch }) => {
    if (forceFetch) store.forcedReads += 1;
    return { ...store.value };
  };
  return { store, read };
};

const openPool = async (read: DbSecretReader): Promise<pg.Pool> => {
  const pool = await createSecretPool(read, { ssl: false, max: 3 });
  pools.push(pool);
  return pool;
};

beforeAll(async () => {
  await adminQuery(`CREATE ROLE ${role} LOGIN PASSWORD '${newPassword()}'`);
});
afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  await adminQuery(`DROP ROLE IF EXISTS ${role}`);
});

describe('a pool built from the database secret', () => {
  it('keeps serving the same Pool object across rotations: one failed login, one re-read, then success', async () => {
    const first = newPassword();
    await setPassword(first);
    const { store, read } = memorySecret(first);
    const pool = await openPool(read);
    // A connection opened before the rotation stays checked out, so the next query needs a new login.
    const held = await pool.connect();
    expect((await held.query('SELECT current_user AS u')).rows[0].u).toBe(role);

    // Rotation: the database and then the secret get the new password (Secrets Manager's setSecret/finishSecret).
    const second = newPassword();
    await setPassword(second);
    store.value = { ...store.value, password: second };

    expect((await pool.query('SELECT current_user AS u')).rows[0].u).toBe(role);
    expect(store.forcedReads).toBe(1);
    // The connection opened with the old password is still usable.
    expect((await held.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    held.release();

    // A second rotation, reached through pool.connect() (what transactions use) rather than pool.query().
    const third = newPassword();
    await setPassword(third);
    store.value = { ...store.value, password: third };
    // Both open connections checked out (the pool reuses idle ones first), so the transaction needs a new login.
    const busy = [await pool.connect(), await pool.connect()];
    expect(pool.totalCount).toBe(2);
    const user = await transaction(pool, async (client) => (await client.query('SELECT current_user AS u')).rows[0].u);
    for (const client of busy) client.release();
    expect(user).toBe(role);
    expect(store.forcedReads).toBe(2);
  });

  it('fails with the authentication error after exactly one re-read when the secret stays wrong', async () => {
    await setPassword(newPassword());
    const { store, read } = memorySecret('not-the-password');
    const pool = await openPool(read);

    await expect(pool.query('SELECT 1')).rejects.toMatchObject({ code: '28P01' });
    expect(store.forcedReads).toBe(1);
    await expect(pool.connect()).rejects.toMatchObject({ code: '28P01' });
    expect(store.forcedReads).toBe(2);
  });
});

describe('isConnectionFailure: what pg throws when the server is not there or goes away', () => {
  const errorOf = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (error: unknown) => error,
    );

  it('is true for a refused connection and for a connection ended under a query, false for a refused query', async () => {
    const closed = new URL(admin.href);
    closed.port = '9';
    const refused = new pg.Client({ connectionString: closed.href, connectionTimeoutMillis: 2_000 });
    expect(isConnectionFailure(await errorOf(refused.connect()))).toBe(true);

    // The server ends a backend the way a shutdown or failover does (admin_shutdown, 57P01).
    const victim = new pg.Client({ connectionString: admin.href });
    victim.on('error', () => undefined);
    await victim.connect();
    const pid = (await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const running = errorOf(victim.query('SELECT pg_sleep(10)'));
    await adminQuery(`SELECT pg_terminate_backend(${pid})`);
    expect(isConnectionFailure(await running)).toBe(true);
    // The client is dead afterwards: the next query on it fails the same way.
    expect(isConnectionFailure(await errorOf(victim.query('SELECT 1')))).toBe(true);

    const fine = new pg.Client({ connectionString: admin.href });
    await fine.connect();
    try {
      expect(isConnectionFailure(await errorOf(fine.query('SELEC 1')))).toBe(false);
      expect(isConnectionFailure(await errorOf(fine.query('SELECT 1/0')))).toBe(false);
    } finally {
      await fine.end();
    }
    expect(isConnectionFailure(new Error('something else'))).toBe(false);
    expect(isConnectionFailure(undefined)).toBe(false);
  });
});
