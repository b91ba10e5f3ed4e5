/**
 * Runs the SQL migrations in `migrations/` with node-pg-migrate. In AWS it is a CDK Trigger handler (runs on
 * every deploy; a failure fails the deployment); the local runtime calls `runMigrations` at start.
 *
 * The SQL files must sit next to the bundle (`<bundle>/migrations`, copied by the stack's bundling hook);
 * from source they are found at the repo root. MIGRATIONS_DIR overrides both.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import pg from 'pg';
import { getPool, isConnectionFailure } from '#shared/db.ts';
import { logger } from '#shared/observability.ts';
import { taskHandler } from '#shared/task.ts';

const here = dirname(fileURLToPath(import.meta.url));

export const migrationsDir = (): string => {
  if (process.env.MIGRATIONS_DIR) return resolve(process.env.MIGRATIONS_DIR);
  const bundled = join(here, 'migrations');
  return existsSync(bundled) ? bundled : resolve(here, '../../migrations');
};

export interface MigrationResult {
  applied: string[];
}

/**
 * Applies pending migrations; safe to run concurrently (node-pg-migrate holds an advisory lock). Without a
 * URL it borrows a client of the shared pool, which re-reads a rotated database secret on a failed login,
 * so a deploy that meets a rotation still migrates.
 */
export const runMigrations = async (databaseUrl?: string): Promise<MigrationResult> => {
  if (databaseUrl) {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      return await migrate(client);
    } finally {
      await client.end();
    }
  }
  const client = await (await getPool()).connect();
  try {
    return await migrate(client);
  } finally {
    client.release();
  }
};

const migrate = async (dbClient: pg.ClientBase): Promise<MigrationResult> => {
  const applied = await runner({
    dbClient,
    dir: migrationsDir(),
    direction: 'up',
    migrationsTable: 'pgmigrations',
    singleTransaction: true,
    checkOrder: true,
    advisoryLockMode: 'wait',
    log: (message: string) => logger.debug(message),
  });
  return { applied: applied.map((m) => m.name) };
};

export interface RetryOptions {
  /** Delay before the second attempt; doubled each time up to `maxDelayMs`. */
  firstDelayMs?: number;
  maxDelayMs?: number;
  /** Stops the retries (the task's deadline): the last failure is thrown. */
  signal?: AbortSignal;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<unknown>;
  onRetry?: (attempt: number, delayMs: number, error: unknown) => void;
}

/**
 * Runs `operation` again while it fails to reach the database, with exponential backoff, until it succeeds,
 * fails for another reason, or `signal` fires. On a first deploy the trigger runs as soon as the cluster and
 * the proxy exist, while the proxy may still be registering its target and the cluster resuming; a deploy
 * should not fail (and roll back) for that.
 */
export const retryConnectionFailures = async <T>(operation: () => Promise<T>, options: RetryOptions = {}): Promise<T> => {
  const { firstDelayMs = 1_000, maxDelayMs = 20_000, signal, sleep = (ms, s) => delay(ms, undefined, { signal: s }) } = options;
  for (let attempt = 1, wait = firstDelayMs; ; attempt++, wait = Math.min(wait * 2, maxDelayMs)) {
    try {
      return await operation();
    } catch (error) {
      if (!isConnectionFailure(error) || signal?.aborted) throw error;
      options.onRetry?.(attempt, wait, error);
      try {
        await sleep(wait, signal);
      } catch {
        throw error;
      }
      if (signal?.aborted) throw error;
    }
  }
};

export const handler = taskHandler(async (_input: unknown, signal: AbortSignal): Promise<MigrationResult> => {
  const result = await retryConnectionFailures(() => runMigrations(), {
    signal,
    onRetry: (attempt, delayMs, error) => logger.warn('Database not reachable yet; retrying', { attempt, delayMs, error: error as Error }),
  });
  logger.info('Migrations applied', { applied: result.applied });
  return result;
});
