/**
 * Services that go away under a running agent: PostgreSQL, DynamoDB and S3 restarting (the runtime's
 * `restart` hook stops one, lets the test act while it is down, and starts it again on the same port with the
 * same data), a model provider that never answers, and a tool whose server never answers. Each run still ends
 * in a terminal state with its reason, with a gap-free log, and a client following it live resumes with
 * `afterSeq` to each event exactly once.
 *
 * The runtime owns its PostgreSQL here (a real server process, restarted for real: pooled connections die,
 * queries during the outage are refused, new ones connect afterwards), rather than the test run's shared
 * server, which other test files are using. Its tasks get shorter Lambda timeouts (model call 8 s, tool 7 s)
 * so that the hangs end within seconds, as they would within the manifest's minutes.
 */
import { createServer, type Server } from 'node:http';
import { GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { logger } from '#shared/observability.ts';
import { createAgent, eventsOf, startExecution, startHarness, stepsOf, waitForExecution, type Harness } from './execution-fixtures.ts';
import { expectCleanEnd, expectFollowedExactly, follow, type Follower } from './fault-fixtures.ts';

let h: Harness;
let silent: Server;
let silentHost: string;
const followers: Follower[] = [];
beforeAll(async () => {
  // A server that takes requests and never answers them.
  silent = createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentHost = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
  h = await startHarness({
    ownServices: true,
    timeouts: { 'agent-call-model': 8, 'agent-run-tool': 7 },
    env: { HTTP_TOOL_ALLOWED_HOSTS: silentHost, HTTP_TOOL_ALLOW_PRIVATE_NETWORKS: 'true' },
  });
}, 180_000);
afterAll(async () => {
  await Promise.all(followers.map((f) => f.close()));
  await h?.stop();
  silent?.closeAllConnections();
  await new Promise<void>((resolve) => (silent ? silent.close(() => resolve()) : resolve()));
});
beforeEach(() => h.models.reset());

const words = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => ` ${prefix}${i}`);
const gate = () => {
  let open!: () => void;
  const until = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { until, open };
};
const startFollowed = async (agentId: string) => {
  const { executionId } = await startExecution(h, agentId, { text: 'go' });
  const follower = await follow(h, executionId);
  followers.push(follower);
  return { executionId, follower };
};
/** The text of the attempt that answered, from its token events. */
const answerTokens = (events: any[]) => {
  const attempt = events.filter((e) => e.kind === 'execution.step' && e.data.kind === 'model' && !e.data.error).at(-1)?.data.attempt;
  return events
    .filter((e) => e.kind === 'execution.token' && e.data.attempt === attempt)
    .map((e) => e.data.text)
    .join('');
};

describe('PostgreSQL restarted in the middle of an execution', () => {
  it('while the model streams: a token batch that fails during the outage is kept and sent later, the run answers', async () => {
    const agentId = await createAgent(h, { provider: 'openai', tools: ['calculator'] });
    const [before, during] = [gate(), gate()];
    const answer = words(12, 'b');
    h.models.script([
      { tokens: words(4, 'a'), toolCalls: [{ id: 'call_calc', name: 'calculator', arguments: { expression: '6 * 7' } }] },
      // Frame 0 is the role chunk: 5 tokens, then 3 more while the server is down, then the rest once it is back.
      {
        tokens: answer,
        holdAfter: [
          { events: 6, until: before.until },
          { events: 9, until: during.until },
        ],
      },
    ]);
    const { executionId, follower } = await startFollowed(agentId);
    await follower.until((handled) => handled.some((e) => e.kind === 'execution.tool_result') && handled.at(-1)!.kind === 'execution.token');

    const warnings = vi.spyOn(logger, 'warn');
    try {
      await h.rt.restart('postgres', {
        whileDown: async () => {
          before.open();
          // The handlers log when a token batch could not be stored: it is kept for the next try.
          await vi.waitFor(() => expect(warnings).toHaveBeenCalledWith(expect.stringContaining('token batch not published'), expect.anything()), {
            timeout: 10_000,
          });
        },
      });
    } finally {
      warnings.mockRestore();
    }
    during.open();

    const { events } = await expectCleanEnd(h, executionId, { status: 'succeeded', output: { text: answer.join('') }, stepCount: 2 });
    expect(answerTokens(events)).toBe(answer.join(''));
    expect(h.models.requests).toHaveLength(2);
    await expectFollowedExactly(follower, events);
  });

  it('when a task meets the outage: DatabaseUnavailableError, retried by the state machine once it is back', async () => {
    const agentId = await createAgent(h, { provider: 'anthropic' });
    const held = gate();
    h.models.script([{ tokens: words(6, 'c'), holdAfter: { events: 5, until: held.until } }, { text: 'Answered once the database was back.' }]);
    const { executionId, follower } = await startFollowed(agentId);
    await follower.until((handled) => handled.some((e) => e.kind === 'execution.token'));

    await h.rt.restart('postgres', {
      whileDown: async () => {
        // The model answers while the server is down: the task cannot record the turn and gives up.
        held.open();
        expect(await h.models.requests[0]!.ended).toBe('complete');
        await h.rt.settled();
      },
    });

    const { events } = await expectCleanEnd(h, executionId, {
      status: 'succeeded',
      output: { text: 'Answered once the database was back.' },
      stepCount: 1,
    });
    // Step Functions saw the task fail with the retryable error, and retried it.
    const { rows } = await h.db.query('SELECT sfn_execution_arn FROM executions WHERE id = $1', [executionId]);
    const sfn = new SFNClient({
      endpoint: h.rt.env.AWS_ENDPOINT_URL_SFN,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn: rows[0].sfn_execution_arn, maxResults: 1000 }));
    sfn.destroy();
    expect(history.events?.filter((e) => e.type === 'TaskFailed').map((e) => e.taskFailedEventDetails?.error)).toContain('DatabaseUnavailableError');
    // The first attempt left no step (nothing could be written); the retry asked the model again.
    expect((await stepsOf(h, executionId)).map((s) => [s.kind, s.error])).toEqual([['model', null]]);
    expect(h.models.requests).toHaveLength(2);
    // Tokens the broken attempt published before the outage are marked as its own; the answer's are whole.
    expect(answerTokens(events)).toBe('Answered once the database was back.');
    await expectFollowedExactly(follower, events);
  });
});

describe('DynamoDB restarted mid-stream', () => {
  it('loses live pushes, not events: the run answers and the client resumes with afterSeq to each event once', async () => {
    const agentId = await createAgent(h, { provider: 'openai' });
    const held = gate();
    const answer = words(10, 'd');
    h.models.script([{ tokens: answer, holdAfter: { events: 4, until: held.until } }]);
    const { executionId, follower } = await startFollowed(agentId);
    await follower.until((handled) => handled.some((e) => e.kind === 'execution.token'));

    // The subscriptions live in DynamoDB: with it down, the fan-out fails (logged) and the run goes on.
    await h.rt.restart('dynamodb', {
      whileDown: async () => {
        held.open();
        await waitForExecution(h, executionId);
        await h.rt.settled();
      },
    });

    const { events } = await expectCleanEnd(h, executionId, { status: 'succeeded', output: { text: answer.join('') } });
    expect(follower.handled.length).toBeLessThan(events.length);
    // A gap that lasts: the client subscribes again from the last seq it handled (docs/realtime.md).
    await follower.resume();
    await expectFollowedExactly(follower, events);
  });
});

describe('S3 restarted mid-execution', () => {
  it('a file tool that meets the outage gets an error result; files stored before are there after it', async () => {
    const agentId = await createAgent(h, { provider: 'anthropic', tools: ['write_file', 'read_file'] });
    const held = gate();
    h.models.script([
      { toolCalls: [{ id: 'toolu_write', name: 'write_file', arguments: { path: 'notes.txt', content: 'kept across restarts' } }] },
      { toolCalls: [{ id: 'toolu_read1', name: 'read_file', arguments: { path: 'notes.txt' } }], holdAfter: { events: 1, until: held.until } },
      { toolCalls: [{ id: 'toolu_read2', name: 'read_file', arguments: { path: 'notes.txt' } }] },
      { text: 'The note says: kept across restarts.' },
    ]);
    const { executionId, follower } = await startFollowed(agentId);
    await follower.until((handled) => handled.filter((e) => e.kind === 'execution.tool_result').length === 1);

    await h.rt.restart('s3', {
      whileDown: async () => {
        held.open();
        await follower.until((handled) => handled.filter((e) => e.kind === 'execution.tool_result').length === 2);
      },
    });

    const { events } = await expectCleanEnd(h, executionId, { status: 'succeeded', output: { text: 'The note says: kept across restarts.' } });
    const tools = (await stepsOf(h, executionId)).filter((s) => s.kind === 'tool');
    expect(tools.map((s) => [s.toolCallId, s.error?.type ?? null])).toEqual([
      ['toolu_write', null],
      ['toolu_read1', 'tool_failed'],
      ['toolu_read2', null],
    ]);
    expect(tools[2].output).toMatchObject({ content: 'kept across restarts' });
    await expectFollowedExactly(follower, events);
  });
});

describe('hangs', () => {
  it('a provider that never answers: the call is given up at the task deadline (ModelTimeoutError) and retried', async () => {
    const agentId = await createAgent(h, { provider: 'openai' });
    h.models.script([{ hang: true }, { text: 'Sorry for the wait.' }]);
    const { executionId, follower } = await startFollowed(agentId);

    const { events } = await expectCleanEnd(h, executionId, { status: 'succeeded', output: { text: 'Sorry for the wait.' } });
    const steps = await stepsOf(h, executionId);
    expect(steps.map((s) => s.error?.type ?? null)).toEqual(['ModelTimeoutError', null]);
    expect(steps[0].error.message).toMatch(/task ran out of time/);
    expect(await h.models.requests[0]!.ended).toBe('aborted');
    await expectFollowedExactly(follower, events);
  });

  it('a tool whose server never answers: an error result at the task deadline, and the run goes on', async () => {
    const agentId = await createAgent(h, { provider: 'anthropic', tools: ['http_request'] });
    h.models.script([
      { toolCalls: [{ id: 'toolu_http', name: 'http_request', arguments: { method: 'GET', url: `http://${silentHost}/slow` } }] },
      { text: 'The server did not answer.' },
    ]);
    const { executionId, follower } = await startFollowed(agentId);

    const { events } = await expectCleanEnd(h, executionId, { status: 'succeeded', output: { text: 'The server did not answer.' } });
    expect((await stepsOf(h, executionId))[1]).toMatchObject({ toolName: 'http_request', output: null, error: { type: 'timeout' } });
    expect((await eventsOf(h, executionId)).find((e) => e.kind === 'execution.tool_result')?.data).toMatchObject({
      ok: false,
      error: { type: 'timeout' },
    });
    await expectFollowedExactly(follower, events);
  });
});
