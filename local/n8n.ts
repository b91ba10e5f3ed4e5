/**
 * n8n on this machine, for `npm start -- --with-n8n` and the real-n8n test: install a pinned n8n into a cache
 * folder outside the repository on first use, start it on loopback, set up its owner and a public-API key,
 * so the monitor can be pointed at it.
 *
 * Why these steps: n8n 2.41.3 does not install from the npm registry today (a dependency it names is not
 * published); 2.41.1 does, but only with `--ignore-scripts` (install scripts of its dependencies fetch
 * prebuilt binaries from GitHub), after which the two native modules n8n needs are compiled here with
 * `npm rebuild sqlite3 isolated-vm`. node-gyp needs this Node's headers: they are taken from next to the
 * Node binary when present, else from the registry's `node-<platform>-<arch>` package of the same version
 * (node-gyp's own download from nodejs.org is not always reachable). About 10 to 30 minutes (most of it compiling SQLite) and 3 GB, once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import path from 'node:path';

/** The n8n the monitor's contract tests pin (test/fixtures/n8n). */
export const N8N_VERSION = '2.41.1';

export interface N8nInstallOptions {
  version?: string;
  /** Default `$MLS_CACHE_DIR`, else `$XDG_CACHE_HOME/mls`, else `~/.cache/mls`. */
  cacheDir?: string;
  /** Progress lines (stderr in the CLI). */
  log?: (line: string) => void;
}

export const defaultCacheDir = (): string =>
  process.env.MLS_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'mls');

const READY_MARK = '.mls-ready';

/**
 * The folder holding `node_modules/n8n` for `version`, installed on first use. The install happens in
 * `<dir>.partial` and is renamed into place only when complete, so an interrupted install is resumed (npm
 * keeps what it already fetched) and never mistaken for a finished one.
 */
export async function installN8n(options: N8nInstallOptions = {}): Promise<string> {
  const version = options.version ?? N8N_VERSION;
  const log = options.log ?? ((line: string) => console.error(line));
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const dir = path.join(cacheDir, `n8n-${version}`);
  if (existsSync(path.join(dir, READY_MARK))) return dir;

  const partial = `${dir}.partial`;
  await mkdir(partial, { recursive: true });
  log(`Installing n8n ${version} into ${dir} (first use only: 10 to 30 minutes and 3 GB)…`);
  await writeFile(path.join(partial, 'package.json'), JSON.stringify({ private: true, dependencies: { n8n: version } }));
  const logFile = path.join(partial, 'install.log');
  await run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], partial, logFile);
  log('  dependencies installed; compiling sqlite3 and isolated-vm for this Node…');
  const nodeDir = await nodeHeaders(cacheDir, log);
  await run('npm', ['rebuild', 'sqlite3', 'isolated-vm', '--foreground-scripts'], partial, logFile, { npm_config_nodedir: nodeDir });
  await writeFile(path.join(partial, READY_MARK), `${new Date().toISOString()}\n`);
  await rm(dir, { recursive: true, force: true });
  await rename(partial, dir);
  log(`  n8n ${version} installed.`);
  return dir;
}

/** A folder with `include/node/common.gypi` for this Node, which node-gyp accepts as `--nodedir`. */
async function nodeHeaders(cacheDir: string, log: (line: string) => void): Promise<string> {
  const beside = path.resolve(path.dirname(process.execPath), '..');
  if (existsSync(path.join(beside, 'include', 'node', 'common.gypi'))) return beside;
  const version = process.versions.node;
  const pkg = `node-${process.platform}-${process.arch}`;
  const dir = path.join(cacheDir, `node-${version}`);
  const headers = path.join(dir, 'node_modules', pkg);
  if (existsSync(path.join(headers, 'include', 'node', 'common.gypi'))) return headers;
  log(`  fetching the headers of Node ${version} (${pkg} from the npm registry)…`);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ private: true }));
  await run(
    'npm',
    ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--no-save', '--loglevel=error', `${pkg}@${version}`],
    dir,
    path.join(dir, 'install.log'),
  );
  return headers;
}

/** Runs a command to completion, its output appended to `logFile`; a failure names the log. */
function run(command: string, args: string[], cwd: string, logFile: string, env: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(logFile, { flags: 'a' });
    out.write(`\n$ ${command} ${args.join(' ')}\n`);
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    child.on('error', (error) => {
      out.end();
      reject(error);
    });
    child.on('close', (code) => {
      out.end();
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} failed (exit ${code}); see ${logFile}`));
    });
  });
}

export interface LocalN8nOptions {
  /** The install folder (installN8n's answer). */
  installDir: string;
  /** n8n's own folder (its SQLite database, encryption key, log, the owner file). */
  dataDir: string;
  /** Default 5678; 0 picks a free port. */
  port?: number;
  log?: (line: string) => void;
  /** Extra environment for n8n. */
  env?: Record<string, string>;
  /** How long to wait for /healthz/readiness. Default 5 minutes (the first start migrates its database). */
  readyTimeoutMs?: number;
}

export interface LocalN8n {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  /** The public-API key the monitor uses (`X-N8N-API-KEY`). */
  apiKey: string;
  /** The owner account (kept in `<dataDir>/owner.json`, mode 0600). */
  owner: { email: string; password: string };
  logFile: string;
  /** SIGTERM to n8n's process group, SIGKILL after 15 s. Idempotent. */
  stop: () => Promise<void>;
}

// The owner and API key logic is the n8n monitor's (the stack's deploy trigger runs it too); re-exported for
// the real-n8n test and older imports.
import { ensureAccess } from '#functions/n8n-monitor/n8n/n8n-owner.adapter.ts';
import type { N8nAccess, N8nAccessStore } from '#functions/n8n-monitor/n8n/n8n-owner.ts';

export { ensureAccess, type N8nAccess, type N8nAccessStore };

export const ownerFileStore = (file: string): N8nAccessStore => ({
  load: async () => (existsSync(file) ? (JSON.parse(await readFile(file, 'utf8')) as N8nAccess) : undefined),
  save: (access) => writeFile(file, `${JSON.stringify(access, null, 2)}\n`, { mode: 0o600 }),
  describe: file,
});

/** Starts n8n on loopback and makes sure it has an owner and a working API key. */
export async function startLocalN8n(options: LocalN8nOptions): Promise<LocalN8n> {
  const log = options.log ?? ((line: string) => console.error(line));
  await mkdir(options.dataDir, { recursive: true });
  const port = options.port === 0 ? await freePort() : (options.port ?? 5678);
  const url = `http://127.0.0.1:${port}`;
  const logFile = path.join(options.dataDir, 'n8n.log');
  const out = createWriteStream(logFile, { flags: 'a' });
  const bin = path.join(options.installDir, 'node_modules', 'n8n', 'bin', 'n8n');
  const child = spawn(process.execPath, [bin, 'start'], {
    cwd: options.dataDir,
    // Its own process group: a terminal's Ctrl-C reaches only `npm start`, which stops n8n in order.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...n8nEnvironment(options.dataDir, port), ...(options.env ?? {}) },
  });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  // Detached, n8n would outlive a parent that exits without stopping it (an error, a second Ctrl-C).
  const orphanGuard = () => {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // Already gone.
    }
  };
  process.once('exit', orphanGuard);
  child.once('exit', () => process.off('exit', orphanGuard));
  const stop = stopper(child, out);
  try {
    await waitReady(url, child, logFile, options.readyTimeoutMs ?? 300_000);
    // Loopback: the outbound client's SSRF rules must allow private networks here.
    const { apiKey, owner } = await ensureAccess(url, ownerFileStore(path.join(options.dataDir, 'owner.json')), log, {
      policy: { allowPrivateNetworks: true, alwaysRefuseLinkLocal: true },
    });
    return { url, logFile, stop, apiKey, owner };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The environment n8n runs with locally: loopback only, no telemetry, the same pruning and metrics as on ECS. */
export const n8nEnvironment = (dataDir: string, port: number): Record<string, string> => {
  const env: Record<string, string> = {};
  // n8n reads many variables; only PATH and HOME are passed on, so a developer's N8N_* or DB_* settings
  // for some other n8n do not leak into this one.
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG']) if (process.env[name] !== undefined) env[name] = process.env[name]!;
  return {
    ...env,
    N8N_USER_FOLDER: dataDir,
    N8N_PORT: String(port),
    N8N_LISTEN_ADDRESS: '127.0.0.1',
    N8N_HOST: '127.0.0.1',
    N8N_PROTOCOL: 'http',
    WEBHOOK_URL: `http://127.0.0.1:${port}/`,
    N8N_EDITOR_BASE_URL: `http://127.0.0.1:${port}/`,
    // The session cookie over plain http on loopback.
    N8N_SECURE_COOKIE: 'false',
    N8N_METRICS: 'true',
    N8N_DIAGNOSTICS_ENABLED: 'false',
    N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
    N8N_TEMPLATES_ENABLED: 'false',
    N8N_PERSONALIZATION_ENABLED: 'false',
    N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'true',
    EXECUTIONS_DATA_PRUNE: 'true',
    EXECUTIONS_DATA_MAX_AGE: '336',
    N8N_LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
  };
};

async function waitReady(url: string, child: ChildProcess, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  while (Date.now() < deadline) {
    if (exited !== undefined) throw new Error(`n8n exited (code ${exited}) before it was ready; see ${logFile}`);
    const ok = await fetch(`${url}/healthz/readiness`, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`n8n was not ready within ${Math.round(timeoutMs / 1000)} s; see ${logFile}`);
}

function stopper(child: ChildProcess, out: NodeJS.WritableStream): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const kill = (signal: NodeJS.Signals) => {
        try {
          process.kill(-child.pid!, signal);
        } catch {
          // Already gone.
        }
      };
      const timer = setTimeout(() => kill('SIGKILL'), 15_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      kill('SIGTERM');
    }).finally(() => out.end());
    return stopping;
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface WithN8nOptions extends N8nInstallOptions {
  /** Default 5678; 0 picks a free port. */
  port?: number;
  /** The instance name in the monitor. Default `local`. */
  name?: string;
  /** Default `default`. */
  tenantId?: string;
}

/** What `npm start -- --with-n8n` adds to a running local runtime. */
export interface AttachedN8n {
  n8n: LocalN8n;
  /** The monitor's instance (as `register-n8n-instance` answers it: never the key). */
  instance: { instanceId: string; name: string; baseUrl: string };
}

/**
 * `--with-n8n`: installs n8n on first use, starts it with its data in `<runtime data folder>/n8n`, and
 * registers it for the tenant through the same system function the stack's deployment uses.
 */
export async function attachLocalN8n(
  runtime: { dataDir: string; invokeSystem: <T>(name: string, event: unknown) => Promise<T> },
  options: WithN8nOptions = {},
): Promise<AttachedN8n> {
  const log = options.log ?? ((line: string) => console.error(line));
  const installDir = await installN8n(options);
  log(`Starting n8n ${options.version ?? N8N_VERSION} on loopback…`);
  const n8n = await startLocalN8n({ installDir, dataDir: path.join(runtime.dataDir, 'n8n'), port: options.port, log });
  try {
    const instance = await runtime.invokeSystem<AttachedN8n['instance']>('register-n8n-instance', {
      tenantId: options.tenantId ?? 'default',
      name: options.name ?? 'local',
      baseUrl: n8n.url,
      apiKey: n8n.apiKey,
    });
    return { n8n, instance };
  } catch (error) {
    await n8n.stop();
    throw error;
  }
}
