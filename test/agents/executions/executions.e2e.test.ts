/**
 * Agent executions end to end through the local runtime: REST -> Step Functions (the same ASL the stack
 * deploys) -> task handlers -> the real provider SDKs -> the scripted model server, for both providers.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  auth,
  createAgent,
  eventsOf,
  PNG,
  startExecution,
  startHarness,
  stepsOf,
  uploadImage,
  waitForExecution,
  type Harness,
} from './execution-fixtures.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.stop());
beforeEach(() => h.models.reset());

const providers = ['openai', 'anthropic'] as const;

/** The tool results a provider request carries, as `{ id, text, isError }`, whatever the wire format. */
const toolResultsIn = (provider: 'openai' | 'anthropic', body: any): Array<{ id: string; text: string; isError: boolean }> =>
  provider === 'openai'
    ? body.messages
        .filter((m: any) => m.role === 'tool')
        .map((m: any) => ({ id: m.tool_call_id, text: String(m.content), isError: /"error"/.test(String(m.content)) }))
    : body.messages.flatMap((m: any) =>
        Array.isArray(m.content)
          ? m.content
              .filter((c: any) => c.type === 'tool_result')
              .map((c: any) => ({
                id: c.tool_use_id,
                text: typeof c.content === 'string' ? c.content : JSON.stringify(c.content),
                isError: c.is_error === true,
              }))
          : [],
      );

describe.each(providers)('%s', (provider) => {
  it('calls two tools over three steps and answers; steps, events and usage add up', async () => {
    const agentId = await createAgent(h, { provider, tools: ['calculator', 'write_file'] });
    h.models.script([
      {
        text: 'Let me compute.',
        toolCalls: [{ id: 'call_calc', name: 'calculator', arguments: { expression: '17 * 23' } }],
        usage: { inputTokens: 11, outputTokens: 7 },
      },
      {
        toolCalls: [{ id: 'call_write', name: 'write_file', arguments: { path: 'answer.txt', content: '391' } }],
        usage: { inputTokens: 13, outputTokens: 5 },
      },
      { text: 'The answer is 391, saved to answer.txt.', usage: { inputTokens: 17, outputTokens: 9 } },
    ]);
    const started = await startExecution(h, agentId, { text: 'What is 17 * 23? Save it.' });
    expect(started.status).toBe('queued');

    const done = await waitForExecution(h, started.executionId);
    expect(done).toMatchObject({
      status: 'succeeded',
      agentId,
      agentVersion: 1,
      output: { text: 'The answer is 391, saved to answer.txt.' },
      error: null,
      usage: { inputTokens: 41, outputTokens: 21 },
      stepCount: 3,
    });
    expect(done.durationMs).toBeGreaterThanOrEqual(0);

    const steps = await stepsOf(h, started.executionId);
    expect(steps.map((s) => [s.stepNo, s.kind, s.toolName])).toEqual([
      [1, 'model', null],
      [2, 'tool', 'calculator'],
      [3, 'model', null],
      [4, 'tool', 'write_file'],
      [5, 'model', null],
    ]);
    expect(steps[1]).toMatchObject({
      toolCallId: 'call_calc',
      input: { arguments: { expression: '17 * 23' } },
      output: { result: 391 },
      error: null,
    });
    expect(steps[0]).toMatchObject({ provider, inputTokens: 11, outputTokens: 7 });
    const modelSteps = steps.filter((s) => s.kind === 'model');
    expect(modelSteps.reduce((n, s) => n + s.inputTokens, 0)).toBe(done.usage.inputTokens);
    expect(modelSteps.reduce((n, s) => n + s.outputTokens, 0)).toBe(done.usage.outputTokens);

    // The model saw each tool's result in its own wire format.
    expect(h.models.requests).toHaveLength(3);
    const third = toolResultsIn(provider, h.models.requests[2]!.body);
    expect(third.map((r) => r.id)).toEqual(['call_calc', 'call_write']);
    expect(third[0]!.text).toContain('391');

    const events = await eventsOf(h, started.executionId);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const kinds = events.map((e) => e.kind).filter((k) => k !== 'execution.token');
    expect(kinds).toEqual([
      'execution.started',
      'execution.step',
      'execution.tool_call',
      'execution.tool_result',
      'execution.step',
      'execution.step',
      'execution.tool_call',
      'execution.tool_result',
      'execution.step',
      'execution.step',
      'execution.succeeded',
    ]);
    const streamed = events
      .filter((e) => e.kind === 'execution.token')
      .map((e) => e.data.text)
      .join('');
    expect(streamed).toBe('Let me compute.The answer is 391, saved to answer.txt.');
  });

  it('hands an image input to the model in the provider format', async () => {
    const agentId = await createAgent(h, { provider });
    const fileId = await uploadImage(h);
    h.models.script([{ text: 'A single transparent pixel.' }]);
    const started = await startExecution(h, agentId, { text: 'What is in this image?', images: [{ fileId }] });
    const done = await waitForExecution(h, started.executionId);
    expect(done.status).toBe('succeeded');
    expect(done.input).toEqual({ text: 'What is in this image?', images: [{ fileId, mediaType: 'image/png' }] });

    const user = h.models.requests[0]!.body.messages.find((m: any) => m.role === 'user');
    const b64 = PNG.toString('base64');
    if (provider === 'openai') {
      expect(user.content).toContainEqual({ type: 'image_url', image_url: expect.objectContaining({ url: `data:image/png;base64,${b64}` }) });
    } else {
      expect(user.content).toContainEqual({ type: 'image', source: { type: 'base64', media_type: 'image/png', data: b64 } });
    }
  });

  it('gives the model an error for a tool that throws, and the run goes on', async () => {
    const agentId = await createAgent(h, { provider, tools: ['read_file'] });
    h.models.script([
      { toolCalls: [{ id: 'call_read', name: 'read_file', arguments: { path: 'missing.txt' } }] },
      { text: 'That file does not exist.' },
    ]);
    const started = await startExecution(h, agentId, { text: 'Read missing.txt' });
    const done = await waitForExecution(h, started.executionId);
    expect(done.status).toBe('succeeded');
    const steps = await stepsOf(h, started.executionId);
    expect(steps[1]).toMatchObject({ kind: 'tool', toolName: 'read_file', error: { type: 'not_found' } });
    const results = toolResultsIn(provider, h.models.requests[1]!.body);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ id: 'call_read' });
    expect(results[0]!.text).toContain('not_found');
  });
});

describe('faults', () => {
  it('retries a 429 and succeeds', async () => {
    const agentId = await createAgent(h, { provider: 'openai' });
    h.models.script([{ status: 429, retryAfter: 0 }, { text: 'Fine now.' }]);
    const started = await startExecution(h, agentId, { text: 'hi' });
    const done = await waitForExecution(h, started.executionId);
    expect(done).toMatchObject({ status: 'succeeded', output: { text: 'Fine now.' }, stepCount: 1 });
    const steps = await stepsOf(h, started.executionId);
    expect(steps.map((s) => s.error?.type ?? null)).toEqual(['ModelThrottledError', null]);
  });

  it('fails with a readable reason when the provider keeps answering 500', async () => {
    const agentId = await createAgent(h, { provider: 'anthropic' });
    h.models.setDefault({ status: 500, message: 'upstream exploded' });
    const started = await startExecution(h, agentId, { text: 'hi' });
    const done = await waitForExecution(h, started.executionId);
    expect(done.status).toBe('failed');
    expect(done.error.type).toBe('ModelUnavailableError');
    expect(done.error.message).toMatch(/^The model provider failed, retries included: .*upstream exploded/);
    expect(h.models.requests).toHaveLength(4); // the first call and three retries
    const events = await eventsOf(h, started.executionId);
    expect(events.at(-1)).toMatchObject({ kind: 'execution.failed', data: { error: done.error } });
  });

  it('answers malformed tool arguments with an error the model recovers from', async () => {
    const agentId = await createAgent(h, { provider: 'openai', tools: ['calculator'] });
    h.models.script([
      { malformedToolArguments: true, toolCalls: [{ id: 'call_bad', name: 'calculator', arguments: { expression: '1 + 1' } }] },
      { toolCalls: [{ id: 'call_good', name: 'calculator', arguments: { expression: '1 + 1' } }] },
      { text: '2' },
    ]);
    const started = await startExecution(h, agentId, { text: '1 + 1?' });
    const done = await waitForExecution(h, started.executionId);
    expect(done).toMatchObject({ status: 'succeeded', output: { text: '2' } });
    const steps = await stepsOf(h, started.executionId);
    expect(steps[1]).toMatchObject({ toolCallId: 'call_bad', error: { type: 'invalid_arguments' } });
    expect(steps[3]).toMatchObject({ toolCallId: 'call_good', output: { result: 2 }, error: null });
    expect(toolResultsIn('openai', h.models.requests[1]!.body)[0]!.text).toContain('invalid_arguments');
  });

  it('stops at the step limit', async () => {
    const agentId = await createAgent(h, { provider: 'openai', tools: ['calculator'], maxSteps: 2 });
    h.models.setDefault({ toolCalls: [{ name: 'calculator', arguments: { expression: '1 + 1' } }] });
    const started = await startExecution(h, agentId, { text: 'loop forever' });
    const done = await waitForExecution(h, started.executionId);
    expect(done).toMatchObject({ status: 'failed', stepCount: 2, error: { type: 'StepLimitReached' } });
    expect(done.error.message).toContain('maxSteps 2');
    expect(h.models.requests).toHaveLength(2);
  });

  it('cancels a running execution', async () => {
    const agentId = await createAgent(h, { provider: 'openai' });
    const words = Array.from({ length: 30 }, (_, i) => ` w${i}`);
    h.models.script([{ tokens: words, tokenDelayMs: 50 }]);
    const started = await startExecution(h, agentId, { text: 'talk slowly' });
    await waitForExecution(h, started.executionId, (e) => e.status === 'running');
    // Wait for the stream to be under way.
    for (let i = 0; i < 100 && !(await eventsOf(h, started.executionId)).some((e) => e.kind === 'execution.token'); i++)
      await new Promise((r) => setTimeout(r, 50));

    const cancel = await h.rt.fetchJson(`/v1/executions/${started.executionId}/cancel`, { method: 'POST', headers: auth(h.admin) });
    expect(cancel.status).toBe(200);
    expect(cancel.body.status).toBe('cancelled');
    const again = await h.rt.fetchJson(`/v1/executions/${started.executionId}/cancel`, { method: 'POST', headers: auth(h.admin) });
    expect(again.status).toBe(200);

    // The model call that was under way is aborted, records nothing, and the execution stays cancelled
    // (faults.e2e.test.ts checks the whole log around a cancel).
    expect(await h.models.requests[0]!.ended).toBe('aborted');
    await h.rt.settled();
    const after = await waitForExecution(h, started.executionId);
    expect(after.status).toBe('cancelled');
    expect(after.output).toBeNull();
    expect(await stepsOf(h, started.executionId)).toEqual([]);
    const kinds = (await eventsOf(h, started.executionId)).map((e) => e.kind);
    expect(kinds.filter((k) => k === 'execution.cancelled')).toHaveLength(1);
    expect(kinds.at(-1)).toBe('execution.cancelled');
  });
});

describe('approval', () => {
  const run = async (decision: 'approve' | 'reject') => {
    const agentId = await createAgent(h, { provider: 'anthropic', tools: ['request_approval'] });
    h.models.script([
      { toolCalls: [{ id: 'toolu_ask', name: 'request_approval', arguments: { action: 'Email the customer' } }] },
      { text: decision === 'approve' ? 'Email sent.' : 'I will not send it.' },
    ]);
    const started = await startExecution(h, agentId, { text: 'Email the customer' });
    const waiting = await waitForExecution(h, started.executionId, (e) => e.status === 'waiting_approval');
    expect(waiting.pendingApproval).toEqual({ toolCallId: 'toolu_ask', name: 'request_approval', arguments: { action: 'Email the customer' } });
    expect((await eventsOf(h, started.executionId)).map((e) => e.kind)).toContain('execution.waiting_approval');

    const res = await h.rt.fetchJson(`/v1/executions/${started.executionId}/approvals`, {
      method: 'POST',
      headers: auth(h.admin),
      json: { decision, comment: 'checked' },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.status).toBe('running');
    const again = await h.rt.fetchJson(`/v1/executions/${started.executionId}/approvals`, {
      method: 'POST',
      headers: auth(h.admin),
      json: { decision },
    });
    expect(again.status).toBe(409);

    const done = await waitForExecution(h, started.executionId);
    expect(done.status).toBe('succeeded');
    return { done, steps: await stepsOf(h, started.executionId), results: toolResultsIn('anthropic', h.models.requests[1]!.body) };
  };

  it('runs the call once approved', async () => {
    const { steps, results } = await run('approve');
    expect(steps[1]).toMatchObject({
      toolName: 'request_approval',
      output: { approved: true, decision: 'approved', comment: 'checked' },
      error: null,
    });
    expect(results[0]).toMatchObject({ id: 'toolu_ask', isError: false });
  });

  it('gives the model an error result when rejected', async () => {
    const { steps, results } = await run('reject');
    expect(steps[1]).toMatchObject({ toolName: 'request_approval', output: null, error: { type: 'rejected' } });
    expect(results[0]).toMatchObject({ id: 'toolu_ask', isError: true });
    expect(results[0]!.text).toContain('checked');
  });
});

describe('idempotency', () => {
  it('starts one execution for the same Idempotency-Key twice', async () => {
    const agentId = await createAgent(h, { provider: 'openai' });
    h.models.script([{ text: 'once' }]);
    const key = `key-${Date.now()}`;
    const first = await startExecution(h, agentId, { text: 'hi' }, { 'idempotency-key': key });
    const second = await startExecution(h, agentId, { text: 'hi' }, { 'idempotency-key': key });
    expect(second.executionId).toBe(first.executionId);
    await waitForExecution(h, first.executionId);
    const { rows } = await h.db.query('SELECT count(*)::int AS n FROM executions WHERE idempotency_key = $1', [key]);
    expect(rows[0].n).toBe(1);
    expect(h.models.requests).toHaveLength(1);
  });
});

describe('idempotency with a different request', () => {
  it('answers 422 naming the header when a key is reused for another agent or body; the same request still replays', async () => {
    const agentA = await createAgent(h, { provider: 'openai' });
    const agentB = await createAgent(h, { provider: 'openai' });
    h.models.setDefault({ text: 'ok' });
    const key = `key-reuse-${Date.now()}`;
    const first = await startExecution(h, agentA, { text: 'first' }, { 'idempotency-key': key });
    for (const [agentId, body] of [
      [agentB, { text: 'second' }],
      [agentA, { text: 'second' }],
    ] as const) {
      const res = await h.rt.fetchJson(`/v1/agents/${agentId}/executions`, {
        method: 'POST',
        headers: { ...auth(h.admin), 'idempotency-key': key },
        json: body,
      });
      expect(res.status).toBe(422);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body).toMatchObject({ status: 422, errors: [{ path: 'headers.idempotency-key' }] });
    }
    const again = await startExecution(h, agentA, { text: 'first' }, { 'idempotency-key': key });
    expect(again.executionId).toBe(first.executionId);
    await waitForExecution(h, first.executionId);
    const { rows } = await h.db.query('SELECT count(*)::int AS n FROM executions WHERE idempotency_key = $1', [key]);
    expect(rows[0].n).toBe(1);
  });
});

describe('text PostgreSQL cannot store as is', () => {
  it('keeps going when tool input and output hold NUL bytes (stored as U+FFFD)', async () => {
    const agentId = await createAgent(h, { provider: 'openai', tools: ['write_file', 'read_file'] });
    h.models.script([
      { toolCalls: [{ id: 'call_write', name: 'write_file', arguments: { path: 'bin.dat', content: 'a\u0000b' } }] },
      { toolCalls: [{ id: 'call_read', name: 'read_file', arguments: { path: 'bin.dat' } }] },
      { text: 'It holds a\u0000b.' },
    ]);
    const started = await startExecution(h, agentId, { text: 'Write and read a binary file' });
    const done = await waitForExecution(h, started.executionId);
    expect(done).toMatchObject({ status: 'succeeded', output: { text: 'It holds a\uFFFDb.' } });
    const steps = await stepsOf(h, started.executionId);
    expect(steps.map((s) => [s.toolName, s.error])).toEqual([
      [null, null],
      ['write_file', null],
      [null, null],
      ['read_file', null],
      [null, null],
    ]);
    expect(steps[1].input.arguments.content).toBe('a\uFFFDb');
    expect(JSON.stringify(steps[3].output)).toContain('a\uFFFDb');
    // The model got the file's content back.
    expect(JSON.stringify(h.models.requests[2]!.body)).toMatch(/a(\\u0000|\\ufffd|\uFFFD)b/);
  });
});
