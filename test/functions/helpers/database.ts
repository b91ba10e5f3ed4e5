/**
 * A fresh, migrated database per test file on the run's PostgreSQL server (test/support/global-setup.ts
 * provides its admin URL), made the handlers' DATABASE_URL.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { runMigrations } from '#functions/platform/migrate.handler.ts';
import { closePool } from '#shared/db.ts';

export interface TestDatabase {
  url: string;
  query: <R extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<R[]>;
  drop: () => Promise<void>;
}


export const createTestDatabase = async (): Promise<TestDatabase> => {
  const admin = new URL(inject('databaseUrl'));
  const name = `h3_${randomBytes(6).toString('hex')}`;
  const adminClient = new pg.Client({ connectionString: admin.href });
  await adminClient.connect();
  await adminClient.query(`CREATE DATABASE ${name}`);
  await adminClient.end();

  const url = new URL(admin.href);
  url.pathname = `/${name}`;
  await runMigrations(url.href);
  process.env.DATABASE_URL = url.href;
  const pool = new pg.Pool({ connectionString: url.href, max: 2 });

  return {
    url: url.href,
    query: async (sql, params) => (await pool.query(sql, params)).rows,
    drop: async () => {
      await closePool();
      await pool.end();
      const c = new pg.Client({ connectionString: admin.href });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
};
