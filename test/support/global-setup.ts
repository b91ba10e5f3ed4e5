/**
 * vitest globalSetup: ONE PostgreSQL for the whole run (embedded, in a temp folder), or the server at
 * `TEST_DATABASE_URL` when set. Test files get their own database on it through startTestRuntime() or
 * createTestDatabase() (test/support/runtime.ts), which read the admin URL with `inject('databaseUrl')`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../local/postgres.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL (database `postgres`) of the run's PostgreSQL server. */
    databaseUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.TEST_DATABASE_URL) {
    project.provide('databaseUrl', process.env.TEST_DATABASE_URL);
    return async () => undefined;
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'mls-test-pg-'));
  const server = await startEmbeddedPostgres({ dir: path.join(dir, 'data'), password: randomBytes(16).toString('hex') });
  project.provide('databaseUrl', server.adminUrl);
  return async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
