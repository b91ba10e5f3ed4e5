/**
 * Fan-out: the time for one published message to reach every one of N WebSocket subscribers through the
 * embedded local runtime (publish Lambda -> PostgreSQL seq -> DynamoDB subscriber lookup -> @connections
 * posts, bounded concurrency) against a bare `ws` server broadcasting the same frame to the same number of
 * clients, both in this run on this machine. Only the ratio means anything.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { startLocalRuntime } from '#local/runtime.ts';

const SIZES = (process.env.BENCH_REALTIME_SIZES ?? '100,1000').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_REALTIME_ROUNDS ?? 5);

/** The frame a subscriber receives for a published "round 0" message, to make the baseline send the same bytes. */
const FRAME_TEMPLATE = JSON.stringify({
  type: 'event', channel: 'workspace:wsp_AAAAAAAAAAAAAAAAAAAAAAAA', seq: 1,
  event: { kind: 'message', at: new Date().toISOString(), data: { userId: 'apikey:key_AAAAAAAAAAAAAAAAAAAAAA', body: 'round 0' } },
});

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const openSocket = (url: string): Promise<WebSocket> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });

/** Resolves when every client has received a frame for which `match` is true; returns elapsed ms since `start`. */
const allReceive = (clients: WebSocket[], match: (text: string) => boolean, start: () => number): Promise<number> =>
  new Promise((resolve) => {
    let pending = clients.length;
    for (const c of clients) {
      const onMessage = (data: Buffer) => {
        if (!match(data.toString())) return;
        c.off('message', onMessage);
        if (--pending === 0) resolve(performance.now() - start());
      };
      c.on('message', onMessage);
    }
  });

const connectMany = async (url: string, n: number): Promise<WebSocket[]> => {
  const out: WebSocket[] = [];
  for (let i = 0; i < n; i += 100) out.push(...(await Promise.all(Array.from({ length: Math.min(100, n - i) }, () => openSocket(url)))));
  return out;
};

const reply = (ws: WebSocket, frame: Record<string, unknown>): Promise<any> =>
  new Promise((resolve) => {
    const id = `b${Math.random().toString(36).slice(2)}`;
    const onMessage = (data: Buffer) => {
      const m = JSON.parse(data.toString());
      if (m.id !== id) return;
      ws.off('message', onMessage);
      resolve(m);
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ ...frame, id }));
  });

type Runtime = Awaited<ReturnType<typeof startLocalRuntime>>;

async function runtimeFanout(runtime: Runtime, n: number): Promise<{ ms: number }> {
  {
    const headers = { 'x-api-key': runtime.apiKey, 'content-type': 'application/json' };
    const res = await fetch(`${runtime.restUrl}/v1/workspaces`, { method: 'POST', headers, body: JSON.stringify({ name: 'bench' }) });
    const { channel } = (await res.json()) as { channel: string };
    const url = `${runtime.wsUrl}?token=${encodeURIComponent(runtime.apiKey)}`;
    const clients = await connectMany(url, n);
    for (let i = 0; i < clients.length; i += 100) {
      await Promise.all(clients.slice(i, i + 100).map((c) => reply(c, { action: 'subscribe', channel })));
    }
    const publisher = await openSocket(url);
    const times: number[] = [];
    for (let round = 0; round <= ROUNDS; round++) {
      const body = `round ${round}`;
      let t0 = 0;
      const done = allReceive(clients, (text) => text.includes(body), () => t0);
      t0 = performance.now();
      publisher.send(JSON.stringify({ action: 'publish', channel, data: body }));
      const ms = await done;
      if (round > 0) times.push(ms); // round 0 warms up cold starts and pools
    }
    await Promise.all([...clients, publisher].map((c) => new Promise((resolve) => {
      c.once('close', resolve);
      c.close();
    })));
    return { ms: median(times) };
  }
}

async function bareFanout(n: number, frame: string): Promise<number> {
  const server = createServer();
  const wss = new WebSocketServer({ server });
  const subscribers = new Set<WebSocket>();
  wss.on('connection', (ws, req) => {
    if (req.url?.includes('publisher')) {
      ws.on('message', (data) => {
        const text = frame.replace('round 0', data.toString());
        for (const s of subscribers) s.send(text);
      });
    } else subscribers.add(ws);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const clients = await connectMany(url, n);
    const publisher = await openSocket(`${url}/publisher`);
    const times: number[] = [];
    for (let round = 0; round <= ROUNDS; round++) {
      const body = `round ${round}`;
      let t0 = 0;
      const done = allReceive(clients, (text) => text.includes(body), () => t0);
      t0 = performance.now();
      publisher.send(body);
      const ms = await done;
      if (round > 0) times.push(ms);
    }
    for (const c of [...clients, publisher]) c.terminate();
    return median(times);
  } finally {
    wss.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

export async function runRealtimeBench(log: (line: string) => void): Promise<void> {
  log(`realtime fan-out: one publish to N subscribers, median of ${ROUNDS} rounds after a warm-up`);
  // One runtime for all sizes: handlers keep per-process clients (the pg pool) that outlive a runtime.
  const runtime = await startLocalRuntime({ ephemeral: true, ports: { rest: 0, ws: 0 }, quiet: true });
  try {
    for (const n of SIZES) {
      // The baseline first: the runtime's clients leave $disconnect work behind when they close.
      const bare = await bareFanout(n, FRAME_TEMPLATE);
      const local = await runtimeFanout(runtime, n);
      log(`  N=${String(n).padEnd(5)} bare ws ${bare.toFixed(1).padStart(8)} ms   local runtime ${local.ms.toFixed(1).padStart(8)} ms   ratio ${(local.ms / Math.max(bare, 0.01)).toFixed(1)}x`);
    }
  } finally {
    await runtime.stop();
  }
}

if (import.meta.main) await runRealtimeBench((line) => console.log(line));
