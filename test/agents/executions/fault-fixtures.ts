/**
 * What every fault test checks about a run, whatever went wrong during it: it ended in a terminal state with
 * its reason; its event log (`execution:<id>`) is gap-free, with exactly one terminal event and that one last;
 * and a WebSocket client that follows it live, loses its connection or its pushes, and resumes with `afterSeq`
 * (the algorithm of docs/realtime.md, "Resuming without gaps or repeats") hands on each event exactly once and
 * is never sent again what it already had.
 */
import { expect } from 'vitest';
import { WebSocket } from 'ws';
import type { WsClient } from '../../support/runtime.ts';
import { auth, eventsOf, stepsOf, waitForExecution, type Harness } from './execution-fixtures.ts';

export const TERMINAL_KINDS = ['execution.succeeded', 'execution.failed', 'execution.cancelled'];

export interface Follower {
  /** The channel's events as the client hands them on: each seq once, in order (`{ seq, kind, at, data }`). */
  readonly handled: Array<{ seq: number; kind: string; at: string; data: any }>;
  /** Event frames received after a resume whose seq was at or below the `afterSeq` of that resume. */
  readonly resent: number[];
  /** Resolves once the terminal event has been handed on. */
  readonly finished: Promise<void>;
  /** Resolves once the events handed on so far satisfy `predicate` (checked after each one). */
  until(predicate: (handled: Follower['handled']) => boolean): Promise<void>;
  /** The client vanishes: its socket is cut without a close frame (a laptop lid, a lost network). */
  drop(): void;
  /** Reconnects (after `drop`) or re-subscribes (a gap that lasts), with `afterSeq` = the last seq handed on. */
  resume(): Promise<void>;
  close(): Promise<void>;
}

/** Follows `execution:<executionId>` over WebSocket as a careful client does. */
export const follow = async (h: Harness, executionId: string, jwt = h.admin, timeoutMs = 30_000): Promise<Follower> => {
  const channel = `execution:${executionId}`;
  const handled: Follower['handled'] = [];
  const resent: number[] = [];
  const held = new Map<number, Follower['handled'][number]>();
  const waiters: Array<{ predicate: (handled: Follower['handled']) => boolean; resolve: () => void }> = [];
  let last = 0;
  let floor = -1;
  let ws: WsClient | undefined;
  let done!: () => void;
  let failed!: (error: Error) => void;
  const finished = new Promise<void>((resolve, reject) => {
    done = resolve;
    failed = reject;
  });
  const timer = setTimeout(
    () => failed(new Error(`no terminal event on ${channel} within ${timeoutMs} ms; handled ${handled.map((e) => e.seq)}`)),
    timeoutMs,
  );
  finished.then(
    () => clearTimeout(timer),
    () => undefined,
  );

  const onFrame = (data: Buffer) => {
    const frame = JSON.parse(data.toString());
    if (frame.type !== 'event' || frame.channel !== channel) return;
    if (frame.seq <= floor) resent.push(frame.seq);
    if (frame.seq <= last) return;
    held.set(frame.seq, { seq: frame.seq, ...frame.event });
    while (held.has(last + 1)) {
      const next = held.get(++last)!;
      held.delete(last);
      handled.push(next);
      for (const w of waiters.filter((w) => w.predicate(handled))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      if (TERMINAL_KINDS.includes(next.kind)) done();
    }
  };
  const subscribe = async () => {
    floor = last;
    const id = `sub-${Math.random().toString(36).slice(2)}`;
    ws!.send({ action: 'subscribe', channel, afterSeq: last, id });
    const ack = await ws!.nextMessage((m) => m?.id === id);
    expect(ack, JSON.stringify(ack)).toMatchObject({ type: 'subscribed', channel, complete: true });
  };
  const connect = async () => {
    ws = await h.rt.connect(jwt);
    expect(ws.opened).toBe(true);
    ws.socket.on('message', onFrame);
    await subscribe();
  };
  await connect();

  return {
    handled,
    resent,
    finished,
    until: (predicate) => (predicate(handled) ? Promise.resolve() : new Promise((resolve) => waiters.push({ predicate, resolve }))),
    drop: () => {
      ws!.socket.off('message', onFrame);
      ws!.socket.terminate();
    },
    resume: async () => {
      if (ws!.socket.readyState === WebSocket.OPEN) await subscribe();
      else await connect();
    },
    close: async () => {
      clearTimeout(timer);
      await ws?.close();
    },
  };
};

/**
 * The run's outcome and log, checked once every handler is over (a task that outlived its timeout or its run
 * included): a terminal status with `expected`'s fields, seqs 1..n, one terminal event and it last, the
 * terminal event carrying the stored reason, and no step finished after the run did.
 */
export const expectCleanEnd = async (
  h: Harness,
  executionId: string,
  expected: Record<string, unknown>,
): Promise<{ execution: any; events: any[] }> => {
  await waitForExecution(h, executionId);
  await h.rt.settled();
  const execution = (await h.rt.fetchJson(`/v1/executions/${executionId}`, { headers: auth(h.admin) })).body;
  expect(execution).toMatchObject(expected);
  const events = await eventsOf(h, executionId);
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  const terminal = events.filter((e) => TERMINAL_KINDS.includes(e.kind));
  expect(terminal.map((e) => e.kind)).toEqual([`execution.${execution.status}`]);
  expect(events.at(-1)).toBe(terminal[0]);
  if (execution.status === 'failed') expect(terminal[0].data).toEqual({ error: execution.error });
  if (execution.status === 'succeeded') expect(terminal[0].data).toEqual({ output: execution.output });
  // Nothing was recorded after the run ended: no step finished later, no usage beyond its model steps.
  const steps = await stepsOf(h, executionId);
  for (const step of steps) if (step.finishedAt) expect(Date.parse(step.finishedAt)).toBeLessThanOrEqual(Date.parse(execution.finishedAt));
  const answered = steps.filter((s) => s.kind === 'model' && s.error === null);
  expect(execution.stepCount).toBe(answered.length);
  expect(execution.usage).toEqual({
    inputTokens: answered.reduce((n, s) => n + s.inputTokens, 0),
    outputTokens: answered.reduce((n, s) => n + s.outputTokens, 0),
  });
  return { execution, events };
};

/** The follower handed on exactly the stored log, each event once, and was never re-sent what it had. */
export const expectFollowedExactly = async (follower: Follower, events: any[]): Promise<void> => {
  await follower.finished;
  expect(follower.handled.map((e) => e.seq)).toEqual(events.map((e) => e.seq));
  expect(follower.handled).toEqual(events.map((e) => ({ seq: e.seq, kind: e.kind, at: e.at, data: e.data })));
  expect(follower.resent).toEqual([]);
};
