/**
 * Watching an agent run live: a real agent execution through the local runtime (REST -> Step Functions ->
 * task handlers -> the real provider SDK -> the scripted model server), streamed to a `ws` subscriber of
 * `execution:<id>` by the shared event fan-out, for both providers.
 *
 * The subscriber reads frames the way docs/realtime.md tells a client to: subscribe with `afterSeq`, drop a
 * seq it has already handled (replay and live push may both carry an event stored while the subscription
 * was being made), hold a later seq until the gap fills. What it hands on must be the execution's whole
 * event log, each event once, in seq order: the same list as `GET /v1/executions/{id}/events`.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  auth,
  createAgent,
  createTenant,
  eventsOf,
  startExecution,
  startHarness,
  waitForExecution,
  type Harness,
} from '../agents/executions/execution-fixtures.ts';
import type { WsClient } from '../support/runtime.ts';
import { request } from './helpers.ts';

let h: Harness;
const open: WsClient[] = [];
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await Promise.all(open.map((ws) => ws.close()));
  await h?.stop();
});
beforeEach(() => h.models.reset());

const connect = async (jwt: string): Promise<WsClient> => {
  const ws = await h.rt.connect(jwt);
  expect(ws.opened).toBe(true);
  open.push(ws);
  return ws;
};

const TERMINAL = ['execution.succeeded', 'execution.failed', 'execution.cancelled'];

interface Watch {
  /** Every frame of the connection, in arrival order. */
  frames: any[];
  /** The channel's events as the documented client hands them on: each seq once, in order. */
  handled: any[];
  /** Resolves once a terminal event has been handled. */
  finished: Promise<void>;
}

/** Follows `channel` on `ws` with the client algorithm of docs/realtime.md ("Resuming without gaps or repeats"). */
const watch = (ws: WsClient, channel: string, timeoutMs = 30_000): Watch => {
  const frames: any[] = [];
  const handled: any[] = [];
  const held = new Map<number, any>();
  let last = 0;
  let done: () => void;
  const finished = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no terminal event on ${channel} within ${timeoutMs} ms; handled seqs ${handled.map((e) => e.seq)}`)),
      timeoutMs,
    );
    done = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  ws.socket.on('message', (data: Buffer) => {
    const frame = JSON.parse(data.toString());
    frames.push(frame);
    if (frame.type !== 'event' || frame.channel !== channel || frame.seq <= last) return;
    held.set(frame.seq, frame);
    while (held.has(last + 1)) {
      const next = held.get(++last);
      held.delete(last);
      handled.push(next);
      if (TERMINAL.includes(next.event.kind)) done();
    }
  });
  return { frames, handled, finished };
};

describe.each(['openai', 'anthropic'] as const)('%s', (provider) => {
  it('streams every event of a live tool-using run to a subscriber, in seq order, the same as the REST event log', async () => {
    const agentId = await createAgent(h, { provider, tools: ['calculator'] });
    // Tokens 40 ms apart outlast the 100 ms token batches, so the text arrives as several execution.token events.
    const first = [' Let', ' me', ' work', ' it', ' out.'];
    const answer = [' Seventeen', ' times', ' twenty-three', ' is', ' 391,', ' as', ' computed.'];
    h.models.script([
      { tokens: first, toolCalls: [{ id: 'call_calc', name: 'calculator', arguments: { expression: '17 * 23' } }], tokenDelayMs: 40 },
      { tokens: answer, tokenDelayMs: 40 },
    ]);

    const { executionId } = await startExecution(h, agentId, { text: 'What is 17 * 23?' });
    const channel = `execution:${executionId}`;
    const ws = await connect(h.admin);
    const live = watch(ws, channel);
    // afterSeq 0: whatever the run stored before the subscription went live is replayed first.
    const ack = await request(ws, { action: 'subscribe', channel, afterSeq: 0 });
    expect(ack).toMatchObject({ type: 'subscribed', channel, complete: true });
    await live.finished;

    const done = await waitForExecution(h, executionId);
    expect(done).toMatchObject({ status: 'succeeded', output: { text: answer.join('') } });

    const seqs = live.handled.map((f) => f.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    // A seq that came twice (replay and live push around the subscription) came as the same event.
    const firstCopy = new Map(live.handled.map((f) => [f.seq, f]));
    for (const f of live.frames.filter((m) => m.type === 'event' && m.channel === channel)) expect(f).toEqual(firstCopy.get(f.seq));
    // Some events arrived by live push, after the subscription was acknowledged, not only by replay.
    expect(live.frames.slice(live.frames.findIndex((m) => m.id === ack.id) + 1).some((m) => m.type === 'event' && m.channel === channel)).toBe(true);

    const rest = await eventsOf(h, executionId);
    expect(live.handled.map((f) => ({ seq: f.seq, ...f.event }))).toEqual(rest.map((e) => ({ seq: e.seq, kind: e.kind, at: e.at, data: e.data })));

    const kinds = live.handled.map((f) => f.event.kind);
    expect(kinds.filter((k) => k !== 'execution.token')).toEqual([
      'execution.started',
      'execution.step',
      'execution.tool_call',
      'execution.tool_result',
      'execution.step',
      'execution.step',
      'execution.succeeded',
    ]);
    expect(kinds.indexOf('execution.started')).toBe(0);
    expect(kinds.at(-1)).toBe('execution.succeeded');
    const tokens = live.handled.filter((f) => f.event.kind === 'execution.token');
    expect(tokens.length).toBeGreaterThanOrEqual(3);
    expect(kinds.indexOf('execution.token')).toBeLessThan(kinds.indexOf('execution.tool_call'));
    expect(kinds.lastIndexOf('execution.token')).toBeGreaterThan(kinds.indexOf('execution.tool_result'));
    expect(tokens.map((f) => f.event.data.text).join('')).toBe([...first, ...answer].join(''));
    expect(h.models.tokensSent.map((t) => t.text).join('')).toBe([...first, ...answer].join(''));
    const toolCall = live.handled.find((f) => f.event.kind === 'execution.tool_call');
    expect(toolCall.event.data).toMatchObject({ toolCallId: 'call_calc', name: 'calculator', arguments: { expression: '17 * 23' } });
    expect(live.handled.find((f) => f.event.kind === 'execution.tool_result')).toBeDefined();
  });

  it("refuses another tenant's principal the execution's channel: an error frame, and no events", async () => {
    const agentId = await createAgent(h, { provider, tools: ['calculator'] });
    h.models.script([{ tokens: [' Just', ' a', ' moment.'], tokenDelayMs: 40 }]);
    const otherTenant = await createTenant(h);
    const strangerJwt = await h.rt.mintJwt({ sub: 'user-stranger', tenantId: otherTenant, roles: ['admin'] });
    const stranger = await connect(strangerJwt);

    const { executionId } = await startExecution(h, agentId, { text: 'Hello?' });
    const channel = `execution:${executionId}`;
    expect(await request(stranger, { action: 'subscribe', channel, afterSeq: 0 })).toMatchObject({ type: 'error', status: 404 });
    // The owner tenant's subscriber sees the run, so the stranger had events to miss.
    const owner = await connect(h.admin);
    const live = watch(owner, channel);
    expect(await request(owner, { action: 'subscribe', channel, afterSeq: 0 })).toMatchObject({ type: 'subscribed' });
    await live.finished;
    expect((await waitForExecution(h, executionId)).status).toBe('succeeded');
    expect(live.handled.length).toBeGreaterThan(0);

    // A round trip after the run: anything pushed to the stranger would have arrived before the pong.
    stranger.send({ action: 'ping' });
    expect(await stranger.nextMessage((m) => m?.type === 'pong')).toEqual({ type: 'pong' });
    expect(stranger.messages.filter((m: any) => m?.type === 'event')).toEqual([]);
    expect(stranger.socket.readyState).toBe(stranger.socket.OPEN);
    expect((await h.rt.fetchJson(`/v1/executions/${executionId}/events`, { headers: auth(strangerJwt) })).status).toBe(404);
  });
});
