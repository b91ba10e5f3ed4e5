/**
 * Load test and start time, each against a floor measured in the same run (issue 12).
 *
 * - The 1,000-connection load test of test/realtime/websocket.test.ts as a timed scenario: 1,000 WebSocket
 *   clients connect (JWT, ten batches of 100), all subscribe to one workspace at once, one publish reaches
 *   every one, all close. Floor: a bare `ws` server speaking the same frames (connect, subscribed ack,
 *   broadcast, close) to the same clients. The clients run in this process, as in the test.
 * - What a fan-out cannot get under while every post is an SDK call (as it must be in AWS): 1,000
 *   `PostToConnection` calls, 50 in flight, through the same SDK client configuration to a bare node:http
 *   server that answers 200 at once (no WebSocket behind it), against the bare `ws` broadcast; and the same
 *   1,000 posts as bare node:http POSTs (no SDK), the least any HTTP @connections endpoint costs here.
 * - `npm start` ready: `node local/start.ts` on a data folder that already exists (the everyday start), from
 *   spawn to its "Ready" line, median of three. Floor: a fresh Node process starting the same embedded
 *   PostgreSQL on the same data folder (the part no startup work can overlap away).
 */
import { spawn } from 'node:child_process';
import { createServer, Agent as HttpAgent, request as httpRequest } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { SignJWT } from 'jose';
import { type WebSocket, WebSocketServer } from 'ws';
import type { LocalRuntime } from '#local/runtime.ts';
import { startBenchRuntime } from './bench-runtime.ts';
import { median, openSocket } from './measure.ts';
import { record } from './results.ts';

const CLIENTS = Number(process.env.BENCH_LOAD_CLIENTS ?? 1000);
const START_RUNS = Number(process.env.BENCH_START_RUNS ?? 3);
const REPO_ROOT = path.resolve(import.meta.dirname, '..');

/** Resolves with the first frame for which `match` holds. */
const nextFrame = (ws: WebSocket, match: (frame: any) => boolean): Promise<any> =>
  new Promise((resolve) => {
    const onMessage = (data: Buffer) => {
      const frame = JSON.parse(data.toString());
      if (!match(frame)) return;
      ws.off('message', onMessage);
      resolve(frame);
    };
    ws.on('message', onMessage);
  });

/** The scenario, against any server speaking the realtime frames: its wall time in ms, and how many subscribes failed. */
async function scenario(url: string, channel: string): Promise<{ ms: number; failed: number }> {
  const started = performance.now();
  const clients: WebSocket[] = [];
  for (let i = 0; i < CLIENTS; i += 100)
    clients.push(...(await Promise.all(Array.from({ length: Math.min(100, CLIENTS - i) }, () => openSocket(url)))));
  const acks = await Promise.all(
    clients.map((c, i) => {
      const ack = nextFrame(c, (f) => f.id === `s${i}`);
      c.send(JSON.stringify({ action: 'subscribe', channel, id: `s${i}` }));
      return ack;
    }),
  );
  // A subscribe the server failed (an error frame) gets no event: wait for the others only, and say so.
  const subscribed = clients.filter((_, i) => acks[i]?.type === 'subscribed');
  const publisher = await openSocket(url);
  const received = Promise.all(subscribed.map((c) => nextFrame(c, (f) => f.type === 'event' && f.event?.data?.body === 'to everyone')));
  publisher.send(JSON.stringify({ action: 'publish', channel, data: 'to everyone', id: 'p' }));
  await received;
  await Promise.all(
    [...clients, publisher].map(
      (c) =>
        new Promise((resolve) => {
          c.once('close', resolve);
          c.close();
        }),
    ),
  );
  return { ms: performance.now() - started, failed: clients.length - subscribed.length };
}

/** The same frames from a bare `ws` server: subscribe acks, one broadcast, closes. */
async function bareScenario(channel: string): Promise<{ ms: number; failed: number }> {
  const server = createServer();
  const wss = new WebSocketServer({ server });
  const subscribers = new Set<WebSocket>();
  let seq = 0;
  wss.on('connection', (ws) => {
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      if (frame.action === 'subscribe') {
        subscribers.add(ws);
        ws.send(JSON.stringify({ type: 'subscribed', channel: frame.channel, headSeq: seq, replayed: 0, complete: true, id: frame.id }));
      } else if (frame.action === 'publish') {
        const text = JSON.stringify({
          type: 'event',
          channel,
          seq: ++seq,
          event: { kind: 'message', at: new Date().toISOString(), data: { body: frame.data } },
        });
        for (const s of subscribers) s.send(text);
        ws.send(JSON.stringify({ type: 'published', channel, seq, id: frame.id }));
      }
    });
    ws.on('close', () => subscribers.delete(ws));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await scenario(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`, channel);
  } finally {
    wss.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

async function runtimeScenario(runtime: LocalRuntime): Promise<{ ms: number; failed: number }> {
  const headers = { 'x-api-key': runtime.apiKey, 'content-type': 'application/json' };
  const { userId } = (await (await fetch(`${runtime.restUrl}/v1/me`, { headers })).json()) as { userId: string };
  const res = await fetch(`${runtime.restUrl}/v1/workspaces`, { method: 'POST', headers, body: JSON.stringify({ name: 'load' }) });
  const { channel } = (await res.json()) as { channel: string };
  // A JWT, as the test's clients use: verified once, then from the authorizer's cache.
  const jwt = await new SignJWT({ tenant_id: 'default', roles: ['admin'] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(runtime.jwtSecret));
  const result = await scenario(`${runtime.wsUrl}?token=${encodeURIComponent(jwt)}`, channel);
  await runtime.settled(); // the $disconnect handlers, before the next round
  return result;
}

/** CPU ms (user + system) a process has used so far, from /proc (Linux); undefined elsewhere. */
async function cpuMs(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined || process.platform !== 'linux') return undefined;
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
    // utime and stime, fields 14 and 15 of stat (11 and 12 after the command name), in clock ticks (100 Hz).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** CPU ms of the last process timeUntil() saw ready (not counting its children, e.g. PostgreSQL). */
let lastCpuMs: number | undefined;

/** Spawns `args` and resolves with the ms until a stdout line matches `ready`; then SIGINTs it and waits. */
function timeUntil(args: string[], ready: RegExp): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let ms: number | undefined;
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (ms === undefined && ready.test(out)) {
        ms = performance.now() - started;
        void cpuMs(child.pid).then((cpu) => {
          lastCpuMs = cpu;
          child.kill('SIGINT');
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', reject);
    child.once('exit', () => (ms === undefined ? reject(new Error(`exited before ready:\n${out.slice(-2000)}`)) : resolve(ms)));
  });
}

export async function startTime(log: (line: string) => void): Promise<void> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'mls-start-bench-'));
  try {
    const start = ['local/start.ts', '--port', '0', '--data-dir', dataDir];
    // The first start creates the cluster, runs the migrations and mints the key: not the everyday start.
    await timeUntil(start, /Ready in/);
    const floorScript = `const { startEmbeddedPostgres } = await import(${JSON.stringify(path.join(REPO_ROOT, 'local/postgres.ts'))});
      const secrets = JSON.parse(await (await import('node:fs/promises')).readFile(${JSON.stringify(path.join(dataDir, 'secrets.json'))}, 'utf8'));
      const pg = await startEmbeddedPostgres({ dir: ${JSON.stringify(path.join(dataDir, 'postgres'))}, password: secrets.postgresPassword });
      console.log('PG READY');
      process.once('SIGINT', () => pg.stop().then(() => process.exit(0)));`;
    const runs: number[] = [];
    const floors: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < START_RUNS; i++) {
      floors.push(await timeUntil(['--input-type=module', '-e', floorScript], /PG READY/));
      runs.push(await timeUntil(start, /Ready in/));
      if (lastCpuMs !== undefined) cpu.push(lastCpuMs);
    }
    const value = median(runs);
    const floor = median(floors);
    log(
      `npm start (existing data folder), spawn to "Ready": runs ${runs.map((r) => r.toFixed(0)).join(', ')} ms (CPU of the Node process ${cpu.join(', ') || '?'} ms); floor (node + PostgreSQL boot) ${floors.map((r) => r.toFixed(0)).join(', ')} ms`,
    );
    record(log, {
      figure: 'npm start ready (existing data folder)',
      value,
      unit: 'ms',
      floor,
      ratio: value / floor,
      target: '<= 2000 ms',
      met: value <= 2000,
    });
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * 1,000 posts (50 in flight, kept-alive sockets) to a server that only answers 200: through the SDK's
 * PostToConnection as the functions post, and as bare node:http POSTs of the same frame (no SDK: no signing,
 * middleware or retry), the least any HTTP-based @connections endpoint can cost here.
 */
async function postFloors(): Promise<{ sdk: number; http: number }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const client = new ApiGatewayManagementApiClient({
    endpoint: `http://127.0.0.1:${port}/local`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
    requestHandler: { httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 50 }) },
  });
  const agent = new HttpAgent({ keepAlive: true, maxSockets: 50 });
  const frame = Buffer.from(JSON.stringify({ type: 'event', channel: 'workspace:bench', seq: 1, event: { kind: 'message', data: { body: 'x' } } }));
  const viaSdk = (i: number) => client.send(new PostToConnectionCommand({ ConnectionId: `conn${i}AAAAAAA=`, Data: frame }));
  const viaHttp = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: `/local/@connections/conn${i}AAAAAAA%3D`, agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end(frame);
    });
  const time = async (post: (i: number) => Promise<unknown>): Promise<number> => {
    await Promise.all(Array.from({ length: 50 }, (_, i) => post(i))); // warm: sockets, signing key
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (next < 1000) await post(next++);
      }),
    );
    return performance.now() - started;
  };
  try {
    return { sdk: await time(viaSdk), http: await time(viaHttp) };
  } finally {
    client.destroy();
    agent.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

export async function runLoadBench(log: (line: string) => void): Promise<void> {
  const posts = await postFloors();
  log(
    `fan-out floors: 1,000 posts to a bare endpoint that answers 200: through the SDK (PostToConnection) ${posts.sdk.toFixed(0)} ms, as bare node:http POSTs ${posts.http.toFixed(0)} ms (compare the fan-out figure of the realtime bench)`,
  );
  log(`load test: ${CLIENTS} WebSocket clients connect, subscribe to one workspace, receive one publish, close`);
  const { ms: floor } = await bareScenario('workspace:bench');
  const runtime = await startBenchRuntime();
  let value: number;
  let failed: number;
  try {
    ({ ms: value, failed } = await runtimeScenario(runtime));
  } finally {
    await runtime.stop();
  }
  log(`  bare ws ${floor.toFixed(0)} ms   local runtime ${value.toFixed(0)} ms${failed > 0 ? `   ! ${failed} subscribes failed` : ''}`);
  record(log, {
    figure: `load test: ${CLIENTS} connections connect, subscribe, one publish, close`,
    value,
    unit: 'ms',
    floor,
    ratio: value / floor,
    target: '<= 3000 ms',
    met: value <= 3000 && failed === 0,
  });
  await startTime(log);
}

if (import.meta.main) await runLoadBench((line) => console.log(line));
