/**
 * Faults in agent runs, end to end through the local runtime (REST -> Step Functions -> task handlers -> the
 * real provider SDKs -> the scripted model server): a cancel while the model is answering, provider streams
 * that break in each way a stream can (cut short, a JSON body instead of a stream, a frame that is not JSON),
 * throttling and errors, a tool that throws, and a WebSocket client that vanishes mid-stream. Whatever happens,
 * the run ends in a terminal state with its reason, nothing is written after its terminal event, its event log
 * has no gap and no repeat, and a client following it live, resuming with `afterSeq`, gets each event once.
 *
 * The timeouts (a hanging provider, a hanging tool, a Lambda that runs out of time) are in timeouts.e2e.test.ts,
 * the restarts of PostgreSQL, DynamoDB and S3 in restarts.e2e.test.ts.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ScriptedTurn } from '../../model-server/script.types.ts';
import { auth, createAgent, startExecution, startHarness, stepsOf, type Harness } from './execution-fixtures.ts';
import { expectCleanEnd, expectFollowedExactly, follow, type Follower } from './fault-fixtures.ts';

let h: Harness;
const followers: Follower[] = [];
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await Promise.all(followers.map((f) => f.close()));
  await h?.stop();
});
beforeEach(() => h.models.reset());

const providers = ['openai', 'anthropic'] as const;
const words = (n: number, prefix = 'w') => Array.from({ length: n }, (_, i) => ` ${prefix}${i}`);
const hasToken = (handled: Follower['handled']) => handled.some((e) => e.kind === 'execution.token');

/** A promise the test settles when it chooses: the scripted model server holds a stream until then. */
const gate = () => {
  let open!: () => void;
  const until = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { until, open };
};

const startFollowed = async (agentId: string, text = 'go') => {
  const { executionId } = await startExecution(h, agentId, { text });
  const follower = await follow(h, executionId);
  followers.push(follower);
  return { executionId, follower };
};

describe.each(providers)('%s: cancel while the model is answering', (provider) => {
  // Regression (issue 11): the model call went on after the cancel, and its tokens, its step and its usage
  // were recorded after `execution.cancelled`.
  it('aborts the model call in flight; nothing is written after the cancelled event', async () => {
    const agentId = await createAgent(h, { provider });
    const held = gate();
    h.models.script([{ tokens: words(12), holdAfter: { events: 8, until: held.until }, usage: { inputTokens: 40, outputTokens: 30 } }]);
    const { executionId, follower } = await startFollowed(agentId, 'talk');
    await follower.until(hasToken);

    const cancel = await h.rt.fetchJson(`/v1/executions/${executionId}/cancel`, { method: 'POST', headers: auth(h.admin) });
    expect(cancel.status).toBe(200);
    expect(cancel.body.status).toBe('cancelled');

    // The model call is cut off (the server sees its client go) instead of being waited out.
    expect(await h.models.requests[0]!.ended).toBe('aborted');
    held.open();
    const { events } = await expectCleanEnd(h, executionId, {
      status: 'cancelled',
      output: null,
      error: null,
      stepCount: 0,
      usage: { inputTokens: 0, outputTokens: 0 },
    });
    expect(await stepsOf(h, executionId)).toEqual([]);
    expect(events.at(-1)).toMatchObject({ kind: 'execution.cancelled', data: { by: 'user-admin' } });
    expect(events.filter((e) => e.kind === 'execution.step')).toEqual([]);
    await expectFollowedExactly(follower, events);
    expect(h.models.requests).toHaveLength(1);
  });
});

describe('broken provider streams are retried, then fail with a readable reason', () => {
  const broken: Array<[string, (typeof providers)[number], ScriptedTurn, RegExp]> = [
    ['cut short (no finish marker)', 'openai', { text: 'Half an ans', truncate: true }, /ended before its finish marker \(finish_reason\)/],
    ['cut short (no finish marker)', 'anthropic', { text: 'Half an ans', truncate: true }, /ended before its finish marker \(message_stop\)/],
    ['a JSON body instead of a stream', 'openai', { text: 'Not streamed', nonStream: true }, /answered with application\/json, not an event stream/],
    [
      'a JSON body instead of a stream',
      'anthropic',
      { text: 'Not streamed', nonStream: true },
      /answered with application\/json, not an event stream/,
    ],
    ['a frame that is not JSON', 'openai', { text: 'Garbled', malformedFrame: true }, /broke/],
  ];

  it.each(broken)('%s (%s): retried, and the retry answers', async (_how, provider, turn, reason) => {
    const agentId = await createAgent(h, { provider });
    h.models.script([turn, { text: 'The whole answer.' }]);
    const { executionId, follower } = await startFollowed(agentId);

    const { events } = await expectCleanEnd(h, executionId, { status: 'succeeded', output: { text: 'The whole answer.' }, stepCount: 1 });
    const steps = await stepsOf(h, executionId);
    expect(steps.map((s) => s.error?.type ?? null)).toEqual(['ModelUnavailableError', null]);
    expect(steps[0].error.message).toMatch(reason);
    // What the broken attempt streamed is told apart from the answer: its tokens carry its attempt id.
    const [failedStep, answerStep] = events.filter((e) => e.kind === 'execution.step');
    expect(failedStep.data.attempt).not.toBe(answerStep.data.attempt);
    const answerText = events
      .filter((e) => e.kind === 'execution.token' && e.data.attempt === answerStep.data.attempt)
      .map((e) => e.data.text)
      .join('');
    expect(answerText).toBe('The whole answer.');
    await expectFollowedExactly(follower, events);
  });

  it.each([
    ['openai', { text: 'Not streamed', nonStream: true }, /broken response stream: the streaming request was answered with application\/json/],
    ['anthropic', { text: 'Half an ans', truncate: true }, /broken response stream: it ended before its finish marker/],
  ] as Array<[(typeof providers)[number], ScriptedTurn, RegExp]>)(
    '%s: a provider that keeps breaking fails the run with the reason, after the retries',
    async (provider, turn, reason) => {
      const agentId = await createAgent(h, { provider });
      h.models.setDefault(turn);
      const { executionId, follower } = await startFollowed(agentId);

      const { execution, events } = await expectCleanEnd(h, executionId, { status: 'failed', stepCount: 0, output: null });
      expect(execution.error.type).toBe('ModelUnavailableError');
      expect(execution.error.message).toMatch(/^The model provider failed, retries included: /);
      expect(execution.error.message).toMatch(reason);
      expect(h.models.requests).toHaveLength(4); // the first call and three retries
      expect((await stepsOf(h, executionId)).map((s) => s.error?.type)).toEqual(Array(4).fill('ModelUnavailableError'));
      await expectFollowedExactly(follower, events);
    },
  );
});

describe('provider errors and tool failures', () => {
  it.each([
    ['a 429 (with retry-after)', { status: 429, retryAfter: 0 }, 'ModelThrottledError'],
    ['a 500', { status: 500, message: 'upstream exploded' }, 'ModelUnavailableError'],
  ] as Array<[string, ScriptedTurn, string]>)('%s is retried; the run answers and its log is whole', async (_what, fault, type) => {
    const agentId = await createAgent(h, { provider: 'anthropic' });
    h.models.script([fault, { text: 'Fine now.' }]);
    const { executionId, follower } = await startFollowed(agentId);

    const { events } = await expectCleanEnd(h, executionId, { status: 'succeeded', output: { text: 'Fine now.' } });
    expect((await stepsOf(h, executionId)).map((s) => s.error?.type ?? null)).toEqual([type, null]);
    await expectFollowedExactly(follower, events);
  });

  it('a tool that throws becomes an error result; the run goes on and its log is whole', async () => {
    const agentId = await createAgent(h, { provider: 'openai', tools: ['read_file'] });
    h.models.script([
      { text: 'Reading.', toolCalls: [{ id: 'call_read', name: 'read_file', arguments: { path: 'missing.txt' } }] },
      { text: 'There is no such file.' },
    ]);
    const { executionId, follower } = await startFollowed(agentId);

    const { events } = await expectCleanEnd(h, executionId, { status: 'succeeded', output: { text: 'There is no such file.' }, stepCount: 2 });
    expect((await stepsOf(h, executionId))[1]).toMatchObject({ kind: 'tool', toolName: 'read_file', error: { type: 'not_found' } });
    expect(events.find((e) => e.kind === 'execution.tool_result')?.data).toMatchObject({ ok: false, error: { type: 'not_found' } });
    await expectFollowedExactly(follower, events);
  });
});

describe('a WebSocket client gone mid-stream', () => {
  it('does not disturb the run or the other subscribers; it resumes with afterSeq and gets each event once', async () => {
    const agentId = await createAgent(h, { provider: 'openai', tools: ['calculator'] });
    const held = gate();
    h.models.script([
      { tokens: words(6, 'a'), toolCalls: [{ id: 'call_calc', name: 'calculator', arguments: { expression: '6 * 7' } }] },
      { tokens: words(10, 'b'), holdAfter: { events: 5, until: held.until } },
    ]);
    const { executionId, follower: gone } = await startFollowed(agentId);
    const stays = await follow(h, executionId);
    followers.push(stays);
    await gone.until((handled) => handled.some((e) => e.kind === 'execution.tool_result') && handled.at(-1)!.kind === 'execution.token');

    gone.drop();
    held.open();
    const { events } = await expectCleanEnd(h, executionId, { status: 'succeeded', stepCount: 2 });
    await expectFollowedExactly(stays, events);
    // The vanished client missed the end of the stream; it comes back for it.
    expect(gone.handled.length).toBeLessThan(events.length);
    await gone.resume();
    await expectFollowedExactly(gone, events);
  });
});
