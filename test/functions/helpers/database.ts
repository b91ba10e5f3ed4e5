/**
 * A fresh, migrated database per test file on the run's PostgreSQL server (created and dropped by
 * test/support/runtime.ts), made the handlers' DATABASE_URL.
 */
import pg from 'pg';
import { runMigrations } from '#functions/platform/migrate.handler.ts';
import { closePool } from '#shared/db.ts';
import { createTestDatabase as createEmptyDatabase } from '../../support/runtime.ts';

export interface TestDatabase {
  url: string;
  query: <R extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<R[]>;
  drop: () => Promise<void>;
}

export const createTestDatabase = async (): Promise<TestDatabase> => {
  const database = await createEmptyDatabase('fn');
  await runMigrations(database.url);
  process.env.DATABASE_URL = database.url;
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });

  return {
    url: database.url,
    query: async (sql, params) => (await pool.query(sql, params)).rows,
    drop: async () => {
      await closePool();
      await pool.end();
      await database.drop();
    },
  };
};
