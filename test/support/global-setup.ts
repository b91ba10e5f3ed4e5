/**
 * vitest globalSetup: ONE PostgreSQL for the whole run (embedded, in a temp folder), or the server at
 * `TEST_DATABASE_URL` when set. Test files get their own database on it through startTestRuntime() or
 * createTestDatabase() (test/support/runtime.ts), which read the admin URL with `inject('databaseUrl')`.
 *
 * The embedded server runs in a child process (postgres-process.ts): the package's exit hooks must not live
 * in vitest's main process, where they would replace a failed run's exit code with 0.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { TestProject } from 'vitest/node';

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
  const child = spawn(process.execPath, [new URL('./postgres-process.ts', import.meta.url).pathname], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout });
  const first = await Promise.race([
    once(lines, 'line').then(([line]) => String(line)),
    exited.then(([code]) => {
      throw new Error(`the test PostgreSQL process exited (${String(code)}) before it was ready`);
    }),
  ]);
  const { adminUrl } = JSON.parse(first) as { adminUrl: string };
  project.provide('databaseUrl', adminUrl);
  return async () => {
    child.stdin.end();
    await exited;
  };
}
