/** Migrations: the SQL in migrations/ applies to an empty database once, and re-running is a no-op. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from '#functions/platform/migrate.handler.ts';
import { handler as echoTask } from '#functions/platform/echo-task.handler.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase(); // already migrated once
});
afterAll(async () => {
  await db?.drop();
});

describe('runMigrations', () => {
  it('leaves the schema in place and applies nothing on a second run', async () => {
    expect(await runMigrations(db.url)).toEqual({ applied: [] });
    const tables = await db.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining(['api_keys', 'pgmigrations', 'tenants', 'channel_events', 'channel_heads']),
    );
  });

  it('enforces what the code relies on: unique hashes, known roles, keys belong to a tenant', async () => {
    await db.query(`INSERT INTO tenants (id, name) VALUES ('t1', 'T1')`);
    const hash = 'a'.repeat(64);
    await db.query(`INSERT INTO api_keys (id, tenant_id, name, role, hash, prefix) VALUES ('key_1', 't1', 'k', 'admin', $1, 'mls_x')`, [hash]);
    await expect(
      db.query(`INSERT INTO api_keys (id, tenant_id, name, role, hash, prefix) VALUES ('key_2', 't1', 'k', 'admin', $1, 'mls_x')`, [hash]),
    ).rejects.toThrow(/unique/);
    await expect(
      db.query(`INSERT INTO api_keys (id, tenant_id, name, role, hash, prefix) VALUES ('key_3', 't1', 'k', 'root', $1, 'mls_x')`, ['b'.repeat(64)]),
    ).rejects.toThrow(/check/);
    await expect(
      db.query(`INSERT INTO api_keys (id, tenant_id, name, role, hash, prefix) VALUES ('key_4', 'nope', 'k', 'admin', $1, 'mls_x')`, [
        'c'.repeat(64),
      ]),
    ).rejects.toThrow(/foreign key/);
  });
});

describe('echo-task', () => {
  it('returns its input', async () => {
    const out = await echoTask({ hello: 'world' });
    expect(out.echoed).toEqual({ hello: 'world' });
    expect(Number.isNaN(Date.parse(out.at))).toBe(false);
  });
});
