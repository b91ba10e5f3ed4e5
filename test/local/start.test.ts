/**
 * `npm start` as a user runs it (a child process): data persists across restarts in the data folder
 * (the same admin key still works), and SIGTERM stops everything, PostgreSQL included, exiting 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { REPO_ROOT } from '../../local/lambda.ts';
import { fetchJson } from '../support/runtime.ts';

let dataDir: string;
const children: ChildProcess[] = [];
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'mls-start-'));
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

/** Starts the CLI and resolves once it printed its ready block. */
function start(): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ['local/start.ts', '--data-dir', dataDir, '--port', '0'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
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

const stop = (child: ChildProcess): Promise<number | null> =>
  new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.on('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

it('persists the admin key across restarts and leaves no PostgreSQL behind', async () => {
  const first = await start();
  const local = JSON.parse(await readFile(path.join(dataDir, 'local.json'), 'utf8')) as { restUrl: string; wsUrl: string; apiKey: string };
  expect(local.apiKey).toMatch(/^mls_/);
  expect(first.output()).toContain(local.apiKey);
  expect((await fetchJson(`${local.restUrl}/v1/me`, { headers: { 'x-api-key': local.apiKey } })).status).toBe(200);

  const pidFile = path.join(dataDir, 'postgres', 'postmaster.pid');
  const postgresPid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  expect(isAlive(postgresPid)).toBe(true);
  expect(await stop(first.child)).toBe(0);
  expect(isAlive(postgresPid)).toBe(false);
  expect(existsSync(pidFile)).toBe(false);

  const second = await start();
  const again = JSON.parse(await readFile(path.join(dataDir, 'local.json'), 'utf8')) as { restUrl: string; apiKey: string };
  expect(again.apiKey).toBe(local.apiKey);
  expect(second.output()).toContain('reused');
  expect((await fetchJson(`${again.restUrl}/v1/me`, { headers: { 'x-api-key': again.apiKey } })).status).toBe(200);
  expect(await stop(second.child)).toBe(0);
});
