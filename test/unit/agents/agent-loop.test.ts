/**
 * The agent loop's use cases against in-memory ports: what each Step Functions task stores, which events
 * it publishes and what the model is sent, for the paths a run takes (answer, tools, approval, cancel,
 * step limit, failures). The same loop runs against PostgreSQL in test/agents/executions; these tests pin
 * its decisions without a database, emulators or a network.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AgentLoop, executionKey, readableError, type TaskInput } from '#functions/agents/executions/agent-loop.service.ts';
import { ExecutionContextError, ProviderNotConfiguredError } from '#functions/agents/executions/execution.errors.ts';
import { INLINE_OUTPUT_BYTES, type ExecutionRecord, type TurnToolCall } from '#functions/agents/executions/execution.ts';
import { ModelUnavailableError } from '#functions/agents/models/model.errors.ts';
import type { ModelMessage } from '#functions/agents/models/model.types.ts';
import { createToolRunner } from '#functions/agents/tools/tool.runner.ts';
import { defineTool, type ApprovalDecision } from '#functions/agents/tools/tool.types.ts';
import { InMemoryExecutionStore, InMemoryFiles, RecordingEvents, ScriptedModel, toolCall, type ScriptedTurn, type SeedOptions } from './fakes.ts';

/** Real tools behind the real runner; each records its runs so a test can tell whether it ran at all. */
const makeTools = () => {
  const runs: Array<{ tool: string; args: unknown; approval?: ApprovalDecision | undefined }> = [];
  const lookup = defineTool({
    name: 'lookup',
    description: 'Looks something up',
    input: z.object({ query: z.string() }),
    run: async (args) => {
      runs.push({ tool: 'lookup', args });
      return { answer: `found ${args.query}` };
    },
  });
  const explode = defineTool({
    name: 'explode',
    description: 'Always fails',
    input: z.object({}),
    run: async (args) => {
      runs.push({ tool: 'explode', args });
      throw new Error('disk on fire');
    },
  });
  const deploy = defineTool({
    name: 'deploy',
    description: 'Deploys to a target; a human must approve each call',
    input: z.object({ target: z.string() }),
    needsApproval: true,
    run: async (args, ctx) => {
      runs.push({ tool: 'deploy', args, approval: ctx.approval });
      return { deployed: args.target };
    },
  });
  const dump = defineTool({
    name: 'dump',
    description: 'Returns a string of the requested length',
    input: z.object({ chars: z.number().int() }),
    run: async ({ chars }) => {
      runs.push({ tool: 'dump', args: { chars } });
      return { data: 'x'.repeat(chars) };
    },
  });
  return { runner: createToolRunner([lookup, explode, deploy, dump]), runs };
};

interface SetupOptions extends SeedOptions {
  turns?: ScriptedTurn[];
  configured?: boolean;
  stopPollMs?: number;
}

const setup = (options: SetupOptions = {}) => {
  const events = new RecordingEvents();
  const store = new InMemoryExecutionStore(events);
  const files = new InMemoryFiles();
  const { runner, runs } = makeTools();
  const seeded = store.seed({ ...options, execution: { status: 'running', ...options.execution } });
  const provider = seeded.agent.model.provider;
  const model = new ScriptedModel(provider, options.turns);
  const loop = new AgentLoop({
    repo: store,
    providers: (name) => {
      if (name !== provider) throw new Error(`the loop asked for ${name}, the agent uses ${provider}`);
      return model;
    },
    providerConfigured: () => options.configured ?? true,
    tools: runner,
    files,
    stopPollMs: options.stopPollMs ?? 5,
  });
  const input: TaskInput = { executionId: seeded.executionId, tenantId: seeded.tenantId };
  const id = seeded.executionId;
  return {
    store,
    events,
    files,
    model,
    loop,
    runs,
    input,
    id,
    agent: seeded.agent,
    execution: (): ExecutionRecord => store.execution(id),
    /** What the Map state does: one RunTool task per call of the turn. */
    runTools: async (calls: TurnToolCall[]) => {
      for (const call of calls) await loop.runTool({ ...input, call }, new AbortController().signal);
    },
  };
};

/** The tool messages of the latest request to the model. */
const toolMessagesSent = (model: ScriptedModel): Array<Extract<ModelMessage, { role: 'tool' }>> =>
  model.requests.at(-1)!.messages.filter((m): m is Extract<ModelMessage, { role: 'tool' }> => m.role === 'tool');

describe('callModel: routing a turn', () => {
  it('finishes the execution with the answer when the model calls no tool', async () => {
    const t = setup({
      agent: { tools: ['lookup'], model: { temperature: 0.2 } },
      turns: [{ text: 'Paris is the capital.', usage: { inputTokens: 30, outputTokens: 7 } }],
    });

    const turn = await t.loop.callModel(t.input);

    expect(turn).toEqual({ next: 'end', toolCalls: [] });
    expect(t.execution()).toMatchObject({ status: 'succeeded', output: { text: 'Paris is the capital.' }, error: null, stepCount: 1 });
    // The model got the system prompt, the user's input, the agent's tools and its settings.
    expect(t.model.requests).toHaveLength(1);
    expect(t.model.requests[0]).toMatchObject({
      model: 'gpt-test',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'What is the capital of France?' },
      ],
      temperature: 0.2,
    });
    expect(t.model.requests[0]!.tools?.map((d) => d.name)).toEqual(['lookup']);
    expect(t.store.allSteps(t.id)).toMatchObject([
      { stepNo: 1, kind: 'model', inputTokens: 30, outputTokens: 7, error: null, output: { text: 'Paris is the capital.', toolCalls: [] } },
    ]);
    expect(t.store.storedMessages(t.id).at(-1)).toEqual({ role: 'assistant', content: { text: 'Paris is the capital.', toolCalls: [] } });
    // Streamed text goes out as token events before the step and the final status.
    const kinds = t.events.kinds();
    expect(kinds.filter((k) => k !== 'execution.token')).toEqual(['execution.step', 'execution.succeeded']);
    expect(kinds.lastIndexOf('execution.token')).toBeLessThan(kinds.indexOf('execution.step'));
    expect(
      t.events
        .ofKind('execution.token')
        .map((e) => (e.data as { text: string }).text)
        .join(''),
    ).toBe('Paris is the capital.');
    expect(t.events.ofKind('execution.succeeded')[0]!.data).toEqual({ output: { text: 'Paris is the capital.' } });
  });

  it('sends no tools key when the agent has none', async () => {
    const t = setup({ turns: [{ text: 'ok' }] });
    await t.loop.callModel(t.input);
    expect(t.model.requests[0]).not.toHaveProperty('tools');
  });

  it('hands the tool calls to the Map state as steps numbered after the model step, in call order', async () => {
    const t = setup({
      agent: { tools: ['lookup', 'explode'] },
      turns: [{ text: 'Let me check.', toolCalls: [toolCall('c1', 'lookup', { query: 'a' }), toolCall('c2', 'lookup', { query: 'b' })] }],
    });

    const turn = await t.loop.callModel(t.input);

    // Message 0 is the user's, 1 the assistant's; each call's result has its slot reserved after it.
    expect(turn).toEqual({
      next: 'tools',
      toolCalls: [
        { id: 'c1', name: 'lookup', stepNo: 2, messageIdx: 2 },
        { id: 'c2', name: 'lookup', stepNo: 3, messageIdx: 3 },
      ],
    });
    expect(t.execution().status).toBe('running');
    expect(t.store.allSteps(t.id)).toMatchObject([
      { stepNo: 1, kind: 'model' },
      { stepNo: 2, kind: 'tool', toolName: 'lookup', toolCallId: 'c1', input: { arguments: { query: 'a' } }, finishedAt: null },
      { stepNo: 3, kind: 'tool', toolName: 'lookup', toolCallId: 'c2', input: { arguments: { query: 'b' } }, finishedAt: null },
    ]);
    expect(t.events.ofKind('execution.tool_call').map((e) => e.data)).toEqual([
      { stepNo: 2, toolCallId: 'c1', name: 'lookup', arguments: { query: 'a' }, needsApproval: false },
      { stepNo: 3, toolCallId: 'c2', name: 'lookup', arguments: { query: 'b' }, needsApproval: false },
    ]);
    expect(t.runs).toEqual([]);
    expect(t.events.ofKind('execution.succeeded')).toEqual([]);
  });

  it('routes to approval when an allowed tool of the turn needs a human decision', async () => {
    const t = setup({
      agent: { tools: ['lookup', 'deploy'] },
      turns: [{ toolCalls: [toolCall('c1', 'lookup', { query: 'a' }), toolCall('c2', 'deploy', { target: 'prod' })] }],
    });

    const turn = await t.loop.callModel(t.input);

    expect(turn.next).toBe('approval');
    expect(turn.toolCalls.map((c) => c.id)).toEqual(['c1', 'c2']);
    expect(
      t.events.ofKind('execution.tool_call').map((e) => [(e.data as { name: string }).name, (e.data as { needsApproval: boolean }).needsApproval]),
    ).toEqual([
      ['lookup', false],
      ['deploy', true],
    ]);
  });

  it("does not hold a call for approval when the tool is not the agent's: it is answered as unknown", async () => {
    const t = setup({ agent: { tools: ['lookup'] }, turns: [{ toolCalls: [toolCall('c1', 'deploy', { target: 'prod' })] }] });

    const turn = await t.loop.callModel(t.input);
    expect(turn.next).toBe('tools');
    expect(t.events.ofKind('execution.tool_call')[0]!.data).toMatchObject({ name: 'deploy', needsApproval: false });

    await t.runTools(turn.toolCalls);
    expect(t.runs).toEqual([]);
    expect(t.store.allSteps(t.id)[1]!.error).toMatchObject({ type: 'unknown_tool' });
  });

  it('does not hold a call whose arguments did not parse: the model reads the parse error instead', async () => {
    const t = setup({ agent: { tools: ['deploy'] }, turns: [{ toolCalls: [toolCall('c1', 'deploy', '{"target": ')] }] });

    const turn = await t.loop.callModel(t.input);

    expect(turn.next).toBe('tools');
    expect(t.events.ofKind('execution.tool_call')[0]!.data).toMatchObject({
      name: 'deploy',
      arguments: null,
      needsApproval: false,
      parseError: expect.stringContaining('not valid JSON'),
    });
  });

  it('refuses a task for an execution of another tenant or one that does not exist', async () => {
    const t = setup({ turns: [{ text: 'never sent' }] });
    await expect(t.loop.callModel({ ...t.input, tenantId: 'tenant-b' })).rejects.toThrow(ExecutionContextError);
    await expect(t.loop.callModel({ ...t.input, executionId: 'exe_missing' })).rejects.toThrow(ExecutionContextError);
    expect(t.model.requests).toEqual([]);
  });

  it('sends the images of the input as bytes read from storage', async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);
    const key = 'tenants/tenant-a/uploads/fil_1';
    const t = setup({
      execution: { input: { text: 'What is this?', images: [{ fileId: 'fil_1', key, mediaType: 'image/png' }] } },
      turns: [{ text: 'A pixel.' }],
    });
    t.files.put(key, png, 'image/png');

    await t.loop.callModel(t.input);

    expect(t.model.requests[0]!.messages[1]).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'What is this?' },
        { type: 'image', data: png, mediaType: 'image/png' },
      ],
    });
  });
});

describe('callModel: the step limit', () => {
  it('fails the run with StepLimitReached instead of calling the model once maxSteps turns were taken', async () => {
    const t = setup({ agent: { maxSteps: 3 }, execution: { stepCount: 3 }, turns: [{ text: 'never sent' }] });

    const turn = await t.loop.callModel(t.input);

    expect(turn).toEqual({ next: 'failed', toolCalls: [] });
    expect(t.model.requests).toEqual([]);
    expect(t.execution()).toMatchObject({
      status: 'failed',
      output: null,
      error: { type: 'StepLimitReached', message: expect.stringContaining('maxSteps 3') },
    });
    expect(t.events.kinds()).toEqual(['execution.failed']);
    expect(t.events.emitted[0]!.data).toEqual({ error: t.execution().error });
  });

  it('stops a model that keeps calling tools after maxSteps answered turns', async () => {
    const lookupTurn = (id: string): ScriptedTurn => ({ toolCalls: [toolCall(id, 'lookup', { query: id })] });
    const t = setup({ agent: { tools: ['lookup'], maxSteps: 2 }, turns: [lookupTurn('c1'), lookupTurn('c2'), lookupTurn('c3')] });

    await t.runTools((await t.loop.callModel(t.input)).toolCalls);
    await t.runTools((await t.loop.callModel(t.input)).toolCalls);
    const third = await t.loop.callModel(t.input);

    expect(third.next).toBe('failed');
    expect(t.model.requests).toHaveLength(2);
    expect(t.execution().error?.type).toBe('StepLimitReached');
  });

  it('leaves a cancelled run cancelled even at its step limit', async () => {
    const t = setup({ agent: { maxSteps: 1 }, execution: { stepCount: 1 } });
    await t.store.requestCancel(t.input.tenantId, t.id);

    expect(await t.loop.callModel(t.input)).toEqual({ next: 'end', toolCalls: [] });
    expect(t.execution()).toMatchObject({ status: 'cancelled', error: null });
    expect(t.events.kinds()).toEqual(['execution.cancelled']);
  });
});

describe('cancel', () => {
  /**
   * Two ways a task finds a cancel: through the API (`requestCancel` sets the terminal status and the
   * request time together), and the request time on a row whose status has not caught up. The loop checks
   * the request time on its own, so both must stop it.
   */
  const cancels = [
    [
      'cancelled through the API',
      async (t: ReturnType<typeof setup>) => {
        await t.store.requestCancel(t.input.tenantId, t.id);
      },
    ],
    ['flagged by cancelRequestedAt alone', async (t: ReturnType<typeof setup>) => t.store.flagCancelRequested(t.id)],
  ] as const;

  it.each(cancels)('ends the loop without calling the model once %s', async (_how, cancel) => {
    const t = setup({ turns: [{ text: 'never sent' }] });
    await cancel(t);
    const before = t.execution();
    const events = t.events.emitted.length;

    const turn = await t.loop.callModel(t.input);

    expect(turn).toEqual({ next: 'end', toolCalls: [] });
    expect(t.model.requests).toEqual([]);
    expect(t.store.allSteps(t.id)).toEqual([]);
    expect(t.events.emitted).toHaveLength(events);
    expect(t.execution().status).toBe(before.status);
  });

  it('does not run a pending call once cancelled, and records nothing after the cancelled event', async () => {
    const t = setup({ agent: { tools: ['lookup'] }, turns: [{ toolCalls: [toolCall('c1', 'lookup', { query: 'a' })] }] });
    const turn = await t.loop.callModel(t.input);
    await t.store.requestCancel(t.input.tenantId, t.id);
    const steps = t.store.allSteps(t.id);

    const result = await t.loop.runTool({ ...t.input, call: turn.toolCalls[0]! }, new AbortController().signal);

    expect(result).toEqual({ ok: false });
    expect(t.runs).toEqual([]);
    expect(t.store.allSteps(t.id)).toEqual(steps);
    expect(t.store.storedMessages(t.id)).toHaveLength(2);
    expect(t.events.kinds().at(-1)).toBe('execution.cancelled');
  });

  it('records an aborted result for a pending call when only the request time says cancelled', async () => {
    const t = setup({ agent: { tools: ['lookup'] }, turns: [{ toolCalls: [toolCall('c1', 'lookup', { query: 'a' })] }] });
    const turn = await t.loop.callModel(t.input);
    t.store.flagCancelRequested(t.id);

    const result = await t.loop.runTool({ ...t.input, call: turn.toolCalls[0]! }, new AbortController().signal);

    expect(result).toEqual({ ok: false });
    expect(t.runs).toEqual([]);
    expect(t.store.allSteps(t.id)[1]).toMatchObject({ stepNo: 2, output: null, error: { type: 'aborted' } });
    expect(t.store.storedMessages(t.id)[2]).toMatchObject({
      role: 'tool',
      content: { toolCallId: 'c1', isError: true, text: expect.stringContaining('"aborted"') },
    });
    expect(t.events.ofKind('execution.tool_result')[0]!.data).toMatchObject({ toolCallId: 'c1', ok: false, error: { type: 'aborted' } });
  });

  // Regression (issue 11): a cancel did not stop a model call already in flight; its tokens, step and usage
  // were still recorded after `execution.cancelled`.
  it('aborts a model call in flight when the run is cancelled: no token, step or usage after the cancelled event', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const t = setup({ turns: [{ text: 'A long answer that is still streaming', until: held, usage: { inputTokens: 50, outputTokens: 40 } }] });

    const call = t.loop.callModel(t.input);
    await t.store.requestCancel(t.input.tenantId, t.id);
    const turn = await call;
    release();

    expect(turn).toEqual({ next: 'end', toolCalls: [] });
    expect(t.execution()).toMatchObject({ status: 'cancelled', output: null, inputTokens: 0, outputTokens: 0, stepCount: 0 });
    expect(t.store.allSteps(t.id)).toEqual([]);
    expect(t.store.storedMessages(t.id)).toHaveLength(1);
    expect(t.events.kinds()).toEqual(['execution.cancelled']);
  });

  it('writes nothing for a tool call that was running when the run was cancelled', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const t = setup({ agent: { tools: ['lookup'] }, turns: [{ toolCalls: [toolCall('c1', 'lookup', { query: 'a' })] }] });
    const turn = await t.loop.callModel(t.input);
    const steps = t.store.allSteps(t.id);
    // The tool waits for its signal: stopping the run must reach it.
    const stopped: unknown[] = [];
    const runner = createToolRunner([
      defineTool({
        name: 'lookup',
        description: 'Waits',
        input: z.object({ query: z.string() }),
        run: (_args, ctx) =>
          new Promise((_resolve, reject) => {
            ctx.signal.addEventListener('abort', () => {
              stopped.push(ctx.signal.reason);
              reject(ctx.signal.reason);
            });
            void held.then(() => reject(new Error('never released')));
          }),
      }),
    ]);
    const loop = new AgentLoop({
      repo: t.store,
      providers: () => t.model,
      providerConfigured: () => true,
      tools: runner,
      files: t.files,
      stopPollMs: 5,
    });

    const run = loop.runTool({ ...t.input, call: turn.toolCalls[0]! }, new AbortController().signal);
    await t.store.requestCancel(t.input.tenantId, t.id);

    expect(await run).toEqual({ ok: false });
    release();
    expect(stopped).toHaveLength(1);
    expect(t.store.allSteps(t.id)).toEqual(steps);
    expect(t.events.kinds().at(-1)).toBe('execution.cancelled');
  });
});

describe('nothing is written after the terminal event', () => {
  it('drops a model turn that ends after the run was failed elsewhere (a timed-out task still going)', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // Polling slower than the test: the unit of work, not the watch, must refuse the late turn.
    const t = setup({ turns: [{ text: 'late', until: held }], stopPollMs: 60_000 });

    const call = t.loop.callModel(t.input);
    await t.loop.markFailed({ ...t.input, error: { Error: 'Sandbox.Timedout', Cause: 'Task timed out after 180.00 seconds' } });
    release();

    expect(await call).toEqual({ next: 'end', toolCalls: [] });
    expect(t.execution()).toMatchObject({ status: 'failed', stepCount: 0, outputTokens: 0 });
    expect(t.store.allSteps(t.id)).toEqual([]);
    expect(t.events.kinds()).toEqual(['execution.failed']);
  });

  it('keeps a unit that fails half way out entirely: no record without its events', async () => {
    const t = setup();
    await expect(
      t.store.whileActive(t.input.tenantId, t.id, async (w) => {
        await w.emit([{ kind: 'execution.token', data: { text: 'x' } }]);
        await w.finish('succeeded', { output: { text: 'x' } });
        throw new Error('connection lost');
      }),
    ).rejects.toThrow('connection lost');
    expect(t.execution().status).toBe('running');
    expect(t.events.emitted).toEqual([]);
  });
});

describe('approval', () => {
  const deployTwice: SetupOptions = {
    agent: { tools: ['lookup', 'deploy'] },
    turns: [
      {
        toolCalls: [
          toolCall('c1', 'lookup', { query: 'a' }),
          toolCall('c2', 'deploy', { target: 'staging' }),
          toolCall('c3', 'deploy', { target: 'prod' }),
        ],
      },
      { text: 'Done.' },
    ],
  };

  it('parks the run on the first undecided call, then on the next once that one is decided', async () => {
    const t = setup(deployTwice);
    expect((await t.loop.callModel(t.input)).next).toBe('approval');

    await t.loop.waitForApproval({ ...t.input, taskToken: 'token-1' });

    const first = { toolCallId: 'c2', name: 'deploy', arguments: { target: 'staging' } };
    expect(t.execution()).toMatchObject({ status: 'waiting_approval', pendingToolCall: first });
    expect(t.store.pendingTaskToken(t.id)).toBe('token-1');
    expect(t.events.ofKind('execution.waiting_approval').map((e) => e.data)).toEqual([first]);

    expect(await t.store.decide(t.input.tenantId, t.id, { approved: true, decidedBy: 'alice' })).toEqual({ token: 'token-1', call: first });
    await t.loop.waitForApproval({ ...t.input, taskToken: 'token-2' });

    expect(t.execution().pendingToolCall).toEqual({ toolCallId: 'c3', name: 'deploy', arguments: { target: 'prod' } });
    expect(t.events.ofKind('execution.waiting_approval')).toHaveLength(2);
  });

  it('does not park a run that was cancelled meanwhile', async () => {
    const t = setup(deployTwice);
    await t.loop.callModel(t.input);
    await t.store.requestCancel(t.input.tenantId, t.id);

    await t.loop.waitForApproval({ ...t.input, taskToken: 'token-1' });

    expect(t.execution().status).toBe('cancelled');
    expect(t.events.ofKind('execution.waiting_approval')).toEqual([]);
    expect(t.events.kinds().at(-1)).toBe('execution.cancelled');
  });

  it('never runs a rejected call; the model reads the refusal with the reviewer comment', async () => {
    const t = setup({
      agent: { tools: ['deploy'] },
      turns: [{ toolCalls: [toolCall('c1', 'deploy', { target: 'prod' })] }, { text: 'Understood.' }],
    });
    const turn = await t.loop.callModel(t.input);
    await t.loop.waitForApproval({ ...t.input, taskToken: 'token-1' });
    await t.store.decide(t.input.tenantId, t.id, { approved: false, decidedBy: 'bob', comment: 'not on a Friday' });

    expect(await t.loop.runTool({ ...t.input, call: turn.toolCalls[0]! }, new AbortController().signal)).toEqual({ ok: false });

    expect(t.runs).toEqual([]);
    expect(t.store.allSteps(t.id)[1]!.error).toEqual({ type: 'rejected', message: 'A human (bob) rejected this call of deploy: not on a Friday' });
    await t.loop.callModel(t.input);
    expect(toolMessagesSent(t.model)).toEqual([
      {
        role: 'tool',
        toolCallId: 'c1',
        name: 'deploy',
        content: JSON.stringify({ error: { type: 'rejected', message: 'A human (bob) rejected this call of deploy: not on a Friday' } }),
        isError: true,
      },
    ]);
  });

  it('runs an approved call with the decision in its context', async () => {
    const t = setup({ agent: { tools: ['deploy'] }, turns: [{ toolCalls: [toolCall('c1', 'deploy', { target: 'prod' })] }] });
    const turn = await t.loop.callModel(t.input);
    await t.loop.waitForApproval({ ...t.input, taskToken: 'token-1' });
    await t.store.decide(t.input.tenantId, t.id, { approved: true, decidedBy: 'alice', comment: 'go' });

    expect(await t.loop.runTool({ ...t.input, call: turn.toolCalls[0]! }, new AbortController().signal)).toEqual({ ok: true });

    expect(t.runs).toEqual([
      { tool: 'deploy', args: { target: 'prod' }, approval: { toolCallId: 'c1', approved: true, decidedBy: 'alice', comment: 'go' } },
    ]);
    expect(t.store.allSteps(t.id)[1]).toMatchObject({ output: { deployed: 'prod' }, error: null });
    expect(t.store.storedMessages(t.id)[2]).toEqual({
      role: 'tool',
      content: { toolCallId: 'c1', name: 'deploy', isError: false, text: '{"deployed":"prod"}' },
    });
  });
});

describe('tool failures become results the model reads', () => {
  const cases = [
    { what: 'a tool that throws', call: toolCall('c1', 'explode', {}), type: 'tool_failed', says: 'disk on fire' },
    { what: 'a tool that does not exist', call: toolCall('c1', 'teleport', { to: 'mars' }), type: 'unknown_tool', says: 'teleport' },
    { what: 'arguments that are not JSON', call: toolCall('c1', 'lookup', '{"query": "a'), type: 'invalid_arguments', says: 'could not be read' },
  ];

  it.each(cases)('$what', async ({ call, type, says }) => {
    const t = setup({ agent: { tools: ['lookup', 'explode'] }, turns: [{ text: 'Trying.', toolCalls: [call] }, { text: 'That did not work.' }] });
    const turn = await t.loop.callModel(t.input);
    expect(turn.next).toBe('tools');

    expect(await t.loop.runTool({ ...t.input, call: turn.toolCalls[0]! }, new AbortController().signal)).toEqual({ ok: false });

    const step = t.store.allSteps(t.id)[1]!;
    expect(step).toMatchObject({ kind: 'tool', output: null, outputRef: null, error: { type, message: expect.stringContaining(says) } });
    expect(step.finishedAt).not.toBeNull();
    const stored = { toolCallId: 'c1', name: call.name, isError: true, text: JSON.stringify({ error: step.error }) };
    expect(t.store.storedMessages(t.id)[2]).toEqual({ role: 'tool', content: stored });
    expect(t.events.ofKind('execution.tool_result')[0]!.data).toMatchObject({ stepNo: 2, toolCallId: 'c1', ok: false, error: { type } });

    // The run goes on: the next turn replays the call and hands the model the error to correct itself.
    expect(await t.loop.callModel(t.input)).toEqual({ next: 'end', toolCalls: [] });
    const sent = t.model.requests[1]!.messages;
    expect(sent.at(-2)).toEqual({ role: 'assistant', content: 'Trying.', toolCalls: [{ id: 'c1', name: call.name, arguments: call.arguments }] });
    expect(sent.at(-1)).toEqual({ role: 'tool', toolCallId: 'c1', name: call.name, content: stored.text, isError: true });
    expect(t.execution().status).toBe('succeeded');
  });

  it('keeps raw arguments that did not parse on the tool step, with the reason', async () => {
    const t = setup({ agent: { tools: ['lookup'] }, turns: [{ toolCalls: [toolCall('c1', 'lookup', '{"query": "a')] }] });
    await t.loop.callModel(t.input);
    expect(t.store.allSteps(t.id)[1]!.input).toEqual({ rawArguments: '{"query": "a', parseError: expect.stringContaining('not valid JSON') });
  });

  it('sends a successful result as an ordinary tool message', async () => {
    const t = setup({ agent: { tools: ['lookup'] }, turns: [{ toolCalls: [toolCall('c1', 'lookup', { query: 'a' })] }, { text: 'Found it.' }] });
    await t.runTools((await t.loop.callModel(t.input)).toolCalls);
    await t.loop.callModel(t.input);
    expect(toolMessagesSent(t.model)).toEqual([{ role: 'tool', toolCallId: 'c1', name: 'lookup', content: '{"answer":"found a"}' }]);
  });
});

describe('callModel: a model failure', () => {
  it('records the failed attempt as a model step and rethrows for Step Functions to retry', async () => {
    const failure = new ModelUnavailableError('openai', 'upstream 503', 503);
    const t = setup({ turns: [{ error: failure }, { text: 'Paris.' }] });

    await expect(t.loop.callModel(t.input)).rejects.toBe(failure);

    const error = { type: 'ModelUnavailableError', message: 'upstream 503' };
    expect(t.store.allSteps(t.id)).toMatchObject([{ stepNo: 1, kind: 'model', provider: 'openai', model: 'gpt-test', output: null, error }]);
    expect(t.events.kinds()).toEqual(['execution.step']);
    expect(t.events.emitted[0]!.data).toMatchObject({ stepNo: 1, kind: 'model', error });
    // Not the run's end: the attempt does not count against maxSteps and the status is untouched.
    expect(t.execution()).toMatchObject({ status: 'running', stepCount: 0, error: null });

    // The retry takes the next step number and finishes the run.
    expect(await t.loop.callModel(t.input)).toEqual({ next: 'end', toolCalls: [] });
    expect(t.store.allSteps(t.id).map((s) => [s.stepNo, s.error?.type ?? null])).toEqual([
      [1, 'ModelUnavailableError'],
      [2, null],
    ]);
    expect(t.execution().status).toBe('succeeded');
  });
});

describe('prepare', () => {
  it.each([
    ['openai', 'OPENAI_API_KEY', 'OPENAI_BASE_URL'],
    ['anthropic', 'ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL'],
  ] as const)('refuses an unconfigured %s provider, naming %s', async (provider, env, baseUrl) => {
    const t = setup({ agent: { model: { provider } }, execution: { status: 'queued' }, configured: false });

    const failure = t.loop.prepare(t.input);

    await expect(failure).rejects.toThrow(ProviderNotConfiguredError);
    await expect(failure).rejects.toThrow(env);
    await expect(failure).rejects.toThrow(baseUrl);
    expect(t.execution().status).toBe('queued');
    expect(t.events.emitted).toEqual([]);
  });

  it('marks the run running and announces it once, even when the task is retried', async () => {
    const t = setup({ agent: { model: { provider: 'anthropic', name: 'claude-test' } }, execution: { status: 'queued' } });

    await t.loop.prepare(t.input);
    await t.loop.prepare(t.input);

    expect(t.execution().status).toBe('running');
    expect(t.execution().startedAt).toBeInstanceOf(Date);
    expect(t.events.emitted).toEqual([
      {
        tenantId: t.input.tenantId,
        executionId: t.id,
        kind: 'execution.started',
        data: { agentId: t.agent.agentId, agentVersion: 1, model: { provider: 'anthropic', name: 'claude-test' } },
      },
    ]);
  });

  it('does not start a run that was cancelled while queued', async () => {
    const t = setup({ execution: { status: 'queued' } });
    await t.store.requestCancel(t.input.tenantId, t.id);

    await t.loop.prepare(t.input);

    expect(t.execution().status).toBe('cancelled');
    expect(t.events.kinds()).toEqual(['execution.cancelled']);
  });
});

describe('markFailed', () => {
  it("stores a readable reason from Step Functions' error and a Lambda's JSON cause", async () => {
    const t = setup();
    const cause = JSON.stringify({ errorType: 'ModelThrottledError', errorMessage: '429 Too Many Requests (retry after 20 s)', trace: ['at x'] });

    await t.loop.markFailed({ ...t.input, error: { Error: 'ModelThrottledError', Cause: cause } });

    const error = {
      type: 'ModelThrottledError',
      message: 'The model provider kept rate-limiting the request, retries included: 429 Too Many Requests (retry after 20 s)',
    };
    expect(t.execution()).toMatchObject({ status: 'failed', error });
    expect(t.events.emitted.map((e) => [e.kind, e.data])).toEqual([['execution.failed', { error }]]);
  });

  it('leaves a finished run as it was', async () => {
    const t = setup({ turns: [{ text: 'Paris.' }] });
    await t.loop.callModel(t.input);
    const before = t.events.emitted.length;

    await t.loop.markFailed({ ...t.input, error: { Error: 'States.Timeout', Cause: '' } });

    expect(t.execution()).toMatchObject({ status: 'succeeded', error: null, output: { text: 'Paris.' } });
    expect(t.events.emitted).toHaveLength(before);
  });

  it('ignores an execution it cannot find', async () => {
    const t = setup();
    await expect(t.loop.markFailed({ ...t.input, executionId: 'exe_missing', error: { Error: 'X' } })).resolves.toBeUndefined();
    expect(t.events.emitted).toEqual([]);
  });
});

describe('readableError', () => {
  it.each([
    [
      'a plain-text cause',
      { Error: 'ExecutionContextError', Cause: 'Execution exe_1 does not exist' },
      { type: 'ExecutionContextError', message: 'Execution exe_1 does not exist' },
    ],
    ['a known error without a cause', { Error: 'States.Timeout' }, { type: 'States.Timeout', message: 'A step of the execution timed out' }],
    [
      "middy's early timeout (how a Lambda timeout reaches the state machine)",
      { Error: 'TimeoutError', Cause: JSON.stringify({ errorType: 'TimeoutError', errorMessage: '[AbortError]: The operation was aborted.' }) },
      { type: 'TimeoutError', message: 'A step of the execution timed out' },
    ],
    ['an unknown error without a cause', { Error: 'Lambda.Unknown', Cause: '' }, { type: 'Lambda.Unknown', message: 'Lambda.Unknown' }],
    ['JSON without errorMessage', { Error: 'Boom', Cause: '{"foo":1}' }, { type: 'Boom', message: '{"foo":1}' }],
    ['nothing at all', undefined, { type: 'Error', message: 'Error' }],
  ])('reads %s', (_what, caught, expected) => {
    expect(readableError(caught)).toEqual(expected);
  });

  it('caps the message at 2000 characters', () => {
    expect(readableError({ Error: 'Boom', Cause: JSON.stringify({ errorMessage: 'y'.repeat(5000) }) }).message).toBe('y'.repeat(2000));
  });
});

describe('large tool outputs', () => {
  /** `{"data":"xx…"}`: the tool's JSON text is this many bytes. */
  const charsFor = (bytes: number) => bytes - '{"data":""}'.length;
  const dumpAgent = (bytes: number): SetupOptions => ({
    agent: { tools: ['dump'] },
    turns: [{ toolCalls: [toolCall('c1', 'dump', { chars: charsFor(bytes) })] }, { text: 'Read it.' }],
  });

  it('stores an output over the inline limit in files and hands the model the full text on its next turn', async () => {
    const t = setup(dumpAgent(INLINE_OUTPUT_BYTES + 1));
    const turn = await t.loop.callModel(t.input);
    await t.runTools(turn.toolCalls);

    const key = executionKey(t.input.tenantId, t.id, 'steps/2.json');
    expect(key).toBe(`tenants/${t.input.tenantId}/executions/${t.id}/steps/2.json`);
    expect(t.files.writes).toEqual([{ key, contentType: 'application/json', size: INLINE_OUTPUT_BYTES + 1 }]);
    const fullText = JSON.stringify({ data: 'x'.repeat(charsFor(INLINE_OUTPUT_BYTES + 1)) });
    expect(t.files.text(key)).toBe(fullText);
    expect(t.store.allSteps(t.id)[1]).toMatchObject({ output: null, outputRef: key, error: null });
    expect(t.store.storedMessages(t.id)[2]).toEqual({ role: 'tool', content: { toolCallId: 'c1', name: 'dump', isError: false, contentRef: key } });
    const event = t.events.ofKind('execution.tool_result')[0]!.data;
    expect(event).toMatchObject({ ok: true, outputRef: key });
    expect(event).not.toHaveProperty('output');

    await t.loop.callModel(t.input);
    expect(toolMessagesSent(t.model)).toEqual([{ role: 'tool', toolCallId: 'c1', name: 'dump', content: fullText }]);
  });

  it('keeps an output of exactly the inline limit in the message', async () => {
    const t = setup(dumpAgent(INLINE_OUTPUT_BYTES));
    await t.runTools((await t.loop.callModel(t.input)).toolCalls);

    expect(t.files.writes).toEqual([]);
    expect(t.store.allSteps(t.id)[1]!.outputRef).toBeNull();
    expect(t.store.storedMessages(t.id)[2]).toMatchObject({
      role: 'tool',
      content: { text: JSON.stringify({ data: 'x'.repeat(charsFor(INLINE_OUTPUT_BYTES)) }) },
    });
  });

  it('tells the model when a stored output is gone instead of failing the turn', async () => {
    const t = setup(dumpAgent(INLINE_OUTPUT_BYTES + 1));
    await t.runTools((await t.loop.callModel(t.input)).toolCalls);
    t.files.delete(t.files.writes[0]!.key);

    await t.loop.callModel(t.input);

    expect(toolMessagesSent(t.model)[0]!.content).toBe('{"error":"the stored output is gone"}');
  });
});

describe('runTool: context checks', () => {
  it('refuses a call that does not match the step the turn reserved', async () => {
    const t = setup({ agent: { tools: ['lookup'] }, turns: [{ toolCalls: [toolCall('c1', 'lookup', { query: 'a' })] }] });
    const [call] = (await t.loop.callModel(t.input)).toolCalls;

    await expect(t.loop.runTool({ ...t.input, call: { ...call!, id: 'c-other' } }, new AbortController().signal)).rejects.toThrow(
      ExecutionContextError,
    );
    expect(t.runs).toEqual([]);
  });
});
