/**
 * `npm start` as a user runs it (a child process, in a working directory of its own): data persists across
 * restarts in the data folder (the same admin key still works), `.mls/local.json` in the working directory
 * tells scripts where the instance is, and Ctrl-C / SIGTERM stops everything, PostgreSQL included, exiting 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, realpath, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { REPO_ROOT } from '../../local/lambda.ts';
import type { LocalDiscovery } from '../../local/runtime.ts';
import { fetchJson } from '../support/runtime.ts';

const CLI = path.join(REPO_ROOT, 'local', 'start.ts');
const posix = process.platform !== 'win32';

let cwd: string;
const children: ChildProcess[] = [];
beforeAll(async () => {
  // realpath: the child's process.cwd() is the resolved path (macOS: /var → /private/var).
  cwd = await realpath(await mkdtemp(path.join(tmpdir(), 'mls-start-')));
});
afterAll(async () => {
  // A test that failed half way leaves its child running: stop it properly (PostgreSQL included) first.
  for (const c of children.filter((c) => c.exitCode === null && c.signalCode === null)) {
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
  await rm(cwd, { recursive: true, force: true });
});

/**
 * Starts the CLI in `cwd` and resolves once it printed its ready block. `group`: in a process group of its
 * own, so the test can signal the group as a terminal's Ctrl-C does.
 */
function start(args: string[], { group = false } = {}): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [CLI, '--port', '0', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: group && posix });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ctrl-C stops everything')) resolve({ child, output: () => out });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`npm start exited with ${code} before ready:\n${out}`)));
  });
}

/** Sends `signal` and resolves with the exit code and how long exiting took after the signal. */
const stop = (child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', { group = false } = {}): Promise<{ code: number | null; ms: number }> =>
  new Promise((resolve) => {
    child.removeAllListeners('exit');
    const sent = performance.now();
    child.on('exit', (code) => resolve({ code, ms: performance.now() - sent }));
    if (group && posix) process.kill(-child.pid!, signal);
    else child.kill(signal);
  });

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const discoveryFile = () => path.join(cwd, '.mls', 'local.json');
const readDiscovery = async () => JSON.parse(await readFile(discoveryFile(), 'utf8')) as LocalDiscovery;
const postmasterPid = async (dataDir: string) => Number((await readFile(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]);

it('persists the admin key across restarts and leaves no PostgreSQL behind', async () => {
  // The default data folder `.mls`: the discovery file is the file the admin key is reused from.
  const dataDir = path.join(cwd, '.mls');
  const first = await start([]);
  const local = await readDiscovery();
  expect(local).toMatchObject({ pid: first.child.pid, ephemeral: false, dataDir });
  expect(local.apiKey).toMatch(/^mls_/);
  expect(first.output()).toContain(local.apiKey);
  expect(first.output()).toMatch(/Written to +\.mls[/\\]local\.json\n/);
  expect((await fetchJson(`${local.restUrl}/v1/me`, { headers: { 'x-api-key': local.apiKey } })).status).toBe(200);

  const postgresPid = await postmasterPid(dataDir);
  expect(isAlive(postgresPid)).toBe(true);
  expect((await stop(first.child)).code).toBe(0);
  expect(isAlive(postgresPid)).toBe(false);
  expect(existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
  // A persistent run keeps its discovery file: it holds the key the next start reuses.
  expect((await readDiscovery()).apiKey).toBe(local.apiKey);

  const second = await start([]);
  const again = await readDiscovery();
  expect(again.apiKey).toBe(local.apiKey);
  expect(again.pid).toBe(second.child.pid);
  expect(second.output()).toContain('reused');
  expect((await fetchJson(`${again.restUrl}/v1/me`, { headers: { 'x-api-key': again.apiKey } })).status).toBe(200);
  expect((await stop(second.child)).code).toBe(0);
});

it('an --ephemeral run is discoverable from its working directory, and Ctrl-C stops it within 2 s with clients connected', async () => {
  await rm(path.join(cwd, '.mls'), { recursive: true, force: true });
  const run = await start(['--ephemeral'], { group: true });

  // The discovery file is in the working directory, though the data folder is a temp folder elsewhere.
  const found = await readDiscovery();
  expect(found).toMatchObject({ pid: run.child.pid, ephemeral: true });
  expect(found.dataDir.startsWith(path.join(cwd, '.mls'))).toBe(false);
  expect(run.output()).toContain(found.apiKey);
  if (posix) expect((await stat(discoveryFile())).mode & 0o777).toBe(0o600);

  // A keep-alive HTTP client, left connected, whose one request proves the credentials work.
  const agent = new http.Agent({ keepAlive: true });
  const me = await new Promise<{ status?: number; connection?: string }>((resolve, reject) => {
    http
      .get(`${found.restUrl}/v1/me`, { agent, headers: { 'x-api-key': found.apiKey } }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode, connection: res.headers.connection }));
      })
      .on('error', reject);
  });
  expect(me).toEqual({ status: 200, connection: 'keep-alive' });

  // A WebSocket client with the admin key.
  const ws = new WebSocket(`${found.wsUrl}?token=${encodeURIComponent(found.apiKey)}`);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const wsClosed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));

  const postgresPid = await postmasterPid(found.dataDir);
  expect(isAlive(postgresPid)).toBe(true);

  // Ctrl-C in a terminal: SIGINT to the whole foreground process group.
  const { code, ms } = await stop(run.child, 'SIGINT', { group: true });
  expect(code).toBe(0);
  expect(ms).toBeLessThan(2_000);
  expect(run.output()).toContain('Stopped.');
  expect(await wsClosed).toBe(1001);
  agent.destroy();

  expect(isAlive(postgresPid)).toBe(false);
  expect(existsSync(found.dataDir)).toBe(false);
  expect(existsSync(discoveryFile())).toBe(false);
});
