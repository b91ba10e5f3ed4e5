/**
 * Fan-out: the time for one published message to reach every one of N WebSocket subscribers through the
 * embedded local runtime (publish Lambda -> PostgreSQL seq -> DynamoDB subscriber lookup -> @connections
 * posts, bounded concurrency) against a bare `ws` server broadcasting the same frame to the same number of
 * clients, both in this run on this machine. Only the ratio means anything.
 *
 * End-to-end event latency: agent executions against the scripted model server (in this process, so its
 * `tokensSent` clock is ours) with a WebSocket subscriber of `execution:<id>`; each token's time from the
 * model server writing it to the subscriber receiving the `execution.token` event that carries it, p50/p99.
 * Shaped by the token batching (the first token of a model call at once, then one event per TOKEN_BATCH_MS,
 * default 40, or TOKEN_BATCH_CHARS, default 200); the first token of each turn is reported on its own.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import type { LocalRuntime } from '#local/runtime.ts';
import { startBenchRuntime } from './bench-runtime.ts';
import { median, openSocket } from './measure.ts';
import { record } from './results.ts';
import { startScriptedModelServer, type ScriptedModelServer } from '../test/model-server/scripted-model-server.ts';

const SIZES = (process.env.BENCH_REALTIME_SIZES ?? '100,1000').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_REALTIME_ROUNDS ?? 5);
// Enough turns for the first-token p99 to mean something (one sample per execution).
const LATENCY_EXECUTIONS = Number(process.env.BENCH_REALTIME_LATENCY_EXECUTIONS ?? 12);
const LATENCY_TOKENS = Number(process.env.BENCH_REALTIME_LATENCY_TOKENS ?? 100);
const LATENCY_TOKEN_GAP_MS = 5;
/** One execution may take this long before the bench gives up on it. */
const EXECUTION_TIMEOUT_MS = 30_000;

/** The frame a subscriber receives for a published "round 0" message, to make the baseline send the same bytes. */
const FRAME_TEMPLATE = JSON.stringify({
  type: 'event',
  channel: 'workspace:wsp_AAAAAAAAAAAAAAAAAAAAAAAA',
  seq: 1,
  event: { kind: 'message', at: new Date().toISOString(), data: { userId: 'apikey:key_AAAAAAAAAAAAAAAAAAAAAA', body: 'round 0' } },
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

type Runtime = LocalRuntime;

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
      const done = allReceive(
        clients,
        (text) => text.includes(body),
        () => t0,
      );
      t0 = performance.now();
      publisher.send(JSON.stringify({ action: 'publish', channel, data: body }));
      const ms = await done;
      if (round > 0) times.push(ms); // round 0 warms up cold starts and pools
    }
    await Promise.all(
      [...clients, publisher].map(
        (c) =>
          new Promise((resolve) => {
            c.once('close', resolve);
            c.close();
          }),
      ),
    );
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
      const done = allReceive(
        clients,
        (text) => text.includes(body),
        () => t0,
      );
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

/** The scripted model server's clock (test/model-server): epoch ms with fractions. */
const clock = (): number => performance.timeOrigin + performance.now();

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};

interface ReceivedToken {
  seq: number;
  text: string;
  receivedAt: number;
  /** Handed on after the subscription was acknowledged, i.e. not while the log was being replayed. */
  live: boolean;
}

/**
 * One execution watched by `ws`: a first model turn that only calls a tool (time for the subscription to
 * go live), then `LATENCY_TOKENS` streamed tokens. Returns the latency of each token that reached the
 * subscriber by live push.
 */
async function oneExecutionLatency(
  runtime: Runtime,
  models: ScriptedModelServer,
  ws: WebSocket,
  agentId: string,
  run: number,
): Promise<{ all: number[]; first: number | undefined }> {
  const headers = { 'x-api-key': runtime.apiKey, 'content-type': 'application/json' };
  models.reset();
  const tokens = Array.from({ length: LATENCY_TOKENS }, (_, i) => ` r${run}t${i}`);
  models.script([{ toolCalls: [{ name: 'calculator', arguments: { expression: '1 + 1' } }] }, { tokens, tokenDelayMs: LATENCY_TOKEN_GAP_MS }]);

  const res = await fetch(`${runtime.restUrl}/v1/agents/${agentId}/executions`, { method: 'POST', headers, body: JSON.stringify({ text: 'go' }) });
  if (res.status !== 202) throw new Error(`start execution: ${res.status} ${await res.text()}`);
  const { executionId } = (await res.json()) as { executionId: string };
  const channel = `execution:${executionId}`;

  const received: ReceivedToken[] = [];
  let subscribed = false;
  let last = 0;
  const held = new Map<number, any>();
  let onMessage: (data: Buffer) => void = () => undefined;
  let timer: NodeJS.Timeout | undefined;
  const finished = new Promise<string>((resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`execution ${executionId}: no terminal event within ${EXECUTION_TIMEOUT_MS} ms`)),
      EXECUTION_TIMEOUT_MS,
    );
    onMessage = (data: Buffer) => {
      const receivedAt = clock();
      const frame = JSON.parse(data.toString());
      if (frame.type === 'subscribed' && frame.channel === channel) subscribed = true;
      if (frame.type === 'error') reject(new Error(`subscribe ${channel}: ${data.toString()}`));
      // The client of docs/realtime.md: while the replay is being sent, live pushes interleave with it, and
      // an event stored meanwhile may come both ways. Drop repeats, hold a later seq until the gap fills.
      if (frame.type !== 'event' || frame.channel !== channel || frame.seq <= last) return;
      held.set(frame.seq, frame);
      for (let next = held.get(last + 1); next !== undefined; next = held.get(last + 1)) {
        held.delete(++last);
        const { kind, data: eventData } = next.event;
        if (kind === 'execution.token') received.push({ seq: next.seq, text: eventData.text, receivedAt, live: subscribed });
        if (['execution.succeeded', 'execution.failed', 'execution.cancelled'].includes(kind)) resolve(kind);
      }
    };
  });
  ws.on('message', onMessage);
  try {
    ws.send(JSON.stringify({ action: 'subscribe', channel, afterSeq: 0 }));
    const outcome = await finished;
    if (outcome !== 'execution.succeeded') throw new Error(`execution ${executionId} ended ${outcome}`);
  } finally {
    clearTimeout(timer);
    ws.off('message', onMessage);
    ws.send(JSON.stringify({ action: 'unsubscribe', channel }));
  }

  // Each event carries a run of consecutive tokens: walk both in order, by their text.
  const sent = models.tokensSent;
  if (received.map((r) => r.text).join('') !== sent.map((t) => t.text).join('')) {
    throw new Error(`execution ${executionId}: the token events do not carry the streamed text`);
  }
  const latencies: number[] = [];
  let t = 0;
  for (const event of received) {
    let rest = event.text;
    while (rest.length > 0) {
      const token = sent[t++]!;
      rest = rest.slice(token.text.length);
      if (event.live) latencies.push(event.receivedAt - token.sentAt);
    }
  }
  // The first token of the turn: what a person watching waits for before anything moves.
  const first = received[0]?.live ? received[0].receivedAt - sent[0]!.sentAt : undefined;
  return { all: latencies, first };
}

async function eventLatency(runtime: Runtime, models: ScriptedModelServer, log: (line: string) => void): Promise<void> {
  const headers = { 'x-api-key': runtime.apiKey, 'content-type': 'application/json' };
  const agent = { name: 'bench-latency', model: { provider: 'openai', name: 'bench-model' }, tools: ['calculator'], maxSteps: 5 };
  const res = await fetch(`${runtime.restUrl}/v1/agents`, { method: 'POST', headers, body: JSON.stringify(agent) });
  if (res.status !== 201) throw new Error(`create agent: ${res.status} ${await res.text()}`);
  const { agentId } = (await res.json()) as { agentId: string };
  const ws = await openSocket(`${runtime.wsUrl}?token=${encodeURIComponent(runtime.apiKey)}`);
  try {
    await oneExecutionLatency(runtime, models, ws, agentId, 0); // warm-up: cold starts are not measured
    const latencies: number[] = [];
    const firsts: number[] = [];
    for (let run = 1; run <= LATENCY_EXECUTIONS; run++) {
      const { all, first } = await oneExecutionLatency(runtime, models, ws, agentId, run);
      latencies.push(...all);
      if (first !== undefined) firsts.push(first);
    }
    // The floor: one frame from a bare `ws` server to one client on this machine now (the transport alone).
    const floors: number[] = [];
    for (let i = 0; i < 5; i++) floors.push(await bareFanout(1, FRAME_TEMPLATE));
    const floor = median(floors);
    const sent = LATENCY_EXECUTIONS * LATENCY_TOKENS;
    const batch = `first token of a call at once, then every ${process.env.TOKEN_BATCH_MS ?? 40} ms or ${process.env.TOKEN_BATCH_CHARS ?? 200} chars`;
    log(`realtime end-to-end event latency: model token sent -> execution.token received by a WebSocket subscriber`);
    log(
      `  ${LATENCY_EXECUTIONS} executions x ${LATENCY_TOKENS} tokens (${LATENCY_TOKEN_GAP_MS} ms apart): ${latencies.length} of ${sent} tokens received live   p50 ${percentile(latencies, 50).toFixed(1)} ms   p99 ${percentile(latencies, 99).toFixed(1)} ms   first token of a turn p99 ${percentile(firsts, 99).toFixed(1)} ms (${firsts.length} turns)   (${batch})`,
    );
    const firstP99 = percentile(firsts, 99);
    const allP99 = percentile(latencies, 99);
    record(log, {
      figure: 'model token -> WebSocket subscriber, first token of a turn, p99',
      value: firstP99,
      unit: 'ms',
      floor,
      ratio: firstP99 / Math.max(floor, 0.01),
      target: '<= 25 ms',
      met: firstP99 <= 25,
    });
    record(log, {
      figure: 'model token -> WebSocket subscriber, all tokens, p99',
      value: allP99,
      unit: 'ms',
      floor,
      ratio: allP99 / Math.max(floor, 0.01),
      target: '<= 60 ms',
      met: allP99 <= 60,
    });
  } finally {
    ws.terminate();
  }
}

export async function runRealtimeBench(log: (line: string) => void): Promise<void> {
  log(`realtime fan-out: one publish to N subscribers, median of ${ROUNDS} rounds after a warm-up`);
  const models = await startScriptedModelServer();
  // One runtime for all sizes: handlers keep per-process clients (the pg pool) that outlive a runtime.
  const runtime = await startBenchRuntime({ OPENAI_BASE_URL: models.openaiBaseURL, OPENAI_API_KEY: 'bench' });
  try {
    for (const n of SIZES) {
      // The baseline first: the runtime's clients leave $disconnect work behind when they close.
      const bare = await bareFanout(n, FRAME_TEMPLATE);
      const local = await runtimeFanout(runtime, n);
      log(
        `  N=${String(n).padEnd(5)} bare ws ${bare.toFixed(1).padStart(8)} ms   local runtime ${local.ms.toFixed(1).padStart(8)} ms   ratio ${(local.ms / Math.max(bare, 0.01)).toFixed(1)}x`,
      );
      if (n === 1000) {
        const ratio = local.ms / Math.max(bare, 0.01);
        record(log, {
          figure: 'fan-out: one publish to 1,000 WebSocket subscribers (runtime / bare ws broadcast)',
          value: local.ms,
          unit: 'ms',
          floor: bare,
          ratio,
          target: '<= 5x',
          met: ratio <= 5,
        });
      }
    }
    await eventLatency(runtime, models, log);
  } finally {
    await runtime.stop();
    await models.close();
  }
}

if (import.meta.main) await runRealtimeBench((line) => console.log(line));
