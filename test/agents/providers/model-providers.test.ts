/**
 * Both provider adapters, through the real SDKs, against the scripted model server: what the agent loop
 * relies on (streamed tokens, tool calls, usage, images in each provider's format) and how failures reach
 * the state machine (normalised error classes, no SDK retries, malformed tool JSON as data).
 */

import { afterEach, describe, expect, it, vi } from 'vitest';
import { ModelRequestError, ModelThrottledError, ModelTimeoutError, ModelUnavailableError } from '#functions/agents/models/model.errors.ts';
import type { ModelMessage, ModelProvider, ToolDefinition } from '#functions/agents/models/model.types.ts';
import { AnthropicProvider } from '#functions/agents/providers/anthropic.provider.ts';
import { OpenAIProvider } from '#functions/agents/providers/openai.provider.ts';
import type { ScriptedTurn } from '../../model-server/scripted-model-server.ts';
import { scriptedModelServerPerFile } from '../../support/scripted-model.ts';

// 1x1 transparent PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

const tools: ToolDefinition[] = [
  {
    name: 'calculator',
    description: 'Evaluates an arithmetic expression',
    parameters: { type: 'object', properties: { expression: { type: 'string' } }, required: ['expression'] },
  },
  {
    name: 'read_file',
    description: 'Reads a file from the tenant prefix',
    parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
  },
];

const ask = (text: string): ModelMessage[] => [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: text },
];

const server = scriptedModelServerPerFile();

afterEach(() => {
  vi.unstubAllEnvs();
});

const providers = [
  {
    name: 'openai',
    model: 'gpt-4o-mini',
    env: 'OPENAI',
    baseURL: () => server().openaiBaseURL,
    build: (timeoutMs = 10_000): ModelProvider => new OpenAIProvider({ apiKey: 'sk-test', baseURL: server().openaiBaseURL, timeoutMs }),
    fromEnv: (): ModelProvider => new OpenAIProvider(),
  },
  {
    name: 'anthropic',
    model: 'claude-sonnet-5',
    env: 'ANTHROPIC',
    baseURL: () => server().anthropicBaseURL,
    build: (timeoutMs = 10_000): ModelProvider => new AnthropicProvider({ apiKey: 'sk-ant-test', baseURL: server().anthropicBaseURL, timeoutMs }),
    fromEnv: (): ModelProvider => new AnthropicProvider(),
  },
] as const;

describe.each(providers)('$name provider', ({ name, model, env, baseURL, build, fromEnv }) => {
  it('takes its endpoint from the base-URL variable and needs no key for a compatible server', async () => {
    vi.stubEnv(`${env}_BASE_URL`, baseURL());
    vi.stubEnv(`${env}_API_KEY`, '');
    server().script([{ text: 'local' }]);

    const result = await fromEnv().generate({ model, messages: ask('hi') });

    expect(result.text).toBe('local');
  });

  it('refuses the public API without a key, as a non-retryable error', async () => {
    vi.stubEnv(`${env}_BASE_URL`, '');
    vi.stubEnv(`${env}_API_KEY`, '');

    const error = await fromEnv()
      .generate({ model, messages: ask('hi') })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ModelRequestError);
    expect((error as Error).message).toBe(`${env}_API_KEY is not set`);
  });

  it('delivers streamed text token by token and assembles it', async () => {
    server().script([{ tokens: ['Hel', 'lo', ', wor', 'ld.'] }]);
    const tokens: string[] = [];

    const result = await build().generate({ model, messages: ask('greet') }, { onToken: (t) => tokens.push(t) });

    expect(tokens).toEqual(['Hel', 'lo', ', wor', 'ld.']);
    expect(result.text).toBe('Hello, world.');
    expect(result.toolCalls).toEqual([]);
    expect(result.stopReason).toBe('end_turn');
    expect(result.model).toBe(model);
    expect(server().requests[0]?.body.stream).toBe(true);
  });

  it('parses several tool calls in one turn and offers the tools in the provider format', async () => {
    server().script([
      {
        text: 'Checking both.',
        toolCalls: [
          { name: 'calculator', arguments: { expression: '6*7' } },
          { name: 'read_file', arguments: { path: 'notes/today.txt' } },
        ],
      },
    ]);

    const result = await build().generate({ model, messages: ask('work'), tools });

    expect(result.text).toBe('Checking both.');
    expect(result.stopReason).toBe('tool_use');
    expect(result.toolCalls.map(({ name, parsed, parseError }) => ({ name, parsed, parseError }))).toEqual([
      { name: 'calculator', parsed: { expression: '6*7' }, parseError: undefined },
      { name: 'read_file', parsed: { path: 'notes/today.txt' }, parseError: undefined },
    ]);
    const ids = result.toolCalls.map((call) => call.id);
    expect(new Set(ids).size).toBe(2);
    expect(ids.every((id) => id.length > 0)).toBe(true);

    const offered = server().requests[0]?.body.tools;
    if (name === 'openai') {
      expect(offered[0]).toEqual({
        type: 'function',
        function: { name: 'calculator', description: tools[0]!.description, parameters: tools[0]!.parameters },
      });
    } else {
      expect(offered[0]).toEqual({
        name: 'calculator',
        description: tools[0]!.description,
        input_schema: tools[0]!.parameters,
      });
    }
    expect(offered).toHaveLength(2);
  });

  it('sends tool results back in the provider format', async () => {
    server().script([{ text: 'It is 42.' }]);
    const messages: ModelMessage[] = [
      ...ask('work'),
      {
        role: 'assistant',
        content: '',
        toolCalls: [
          { id: 'c1', name: 'calculator', arguments: '{"expression":"6*7"}' },
          { id: 'c2', name: 'read_file', arguments: '{"path":' },
        ],
      },
      { role: 'tool', toolCallId: 'c1', name: 'calculator', content: '42' },
      { role: 'tool', toolCallId: 'c2', name: 'read_file', content: 'arguments are not valid JSON', isError: true },
    ];

    const result = await build().generate({ model, messages, tools });

    expect(result.text).toBe('It is 42.');
    const body = server().requests[0]?.body;
    if (name === 'openai') {
      expect(body.messages).toEqual([
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'work' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'c1', type: 'function', function: { name: 'calculator', arguments: '{"expression":"6*7"}' } },
            // The malformed call is replayed as `{}`; the error result explains what was wrong.
            { id: 'c2', type: 'function', function: { name: 'read_file', arguments: '{}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'c1', content: '42' },
        { role: 'tool', tool_call_id: 'c2', content: 'arguments are not valid JSON' },
      ]);
    } else {
      expect(body.system).toBe('You are terse.');
      expect(body.messages).toEqual([
        { role: 'user', content: [{ type: 'text', text: 'work' }] },
        {
          role: 'assistant',
          content: [
            { type: 'tool_use', id: 'c1', name: 'calculator', input: { expression: '6*7' } },
            { type: 'tool_use', id: 'c2', name: 'read_file', input: {} },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'c1', content: '42' },
            { type: 'tool_result', tool_use_id: 'c2', content: 'arguments are not valid JSON', is_error: true },
          ],
        },
      ]);
    }
  });

  it('sends image inputs in the provider format', async () => {
    server().script([{ text: 'A pixel.' }]);

    await build().generate({
      model,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image', data: PNG, mediaType: 'image/png' },
            { type: 'image', url: 'https://example.com/cat.jpg' },
          ],
        },
      ],
    });

    const content = server().requests[0]?.body.messages[0].content;
    if (name === 'openai') {
      expect(content).toEqual([
        { type: 'text', text: 'What is this?' },
        { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG.toString('base64')}` } },
        { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
      ]);
    } else {
      expect(content).toEqual([
        { type: 'text', text: 'What is this?' },
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG.toString('base64') } },
        { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
      ]);
    }
  });

  it('reports token usage', async () => {
    server().script([{ text: 'ok', usage: { inputTokens: 321, outputTokens: 54 } }]);

    const result = await build().generate({ model, messages: ask('count') });

    expect(result.usage).toEqual({ inputTokens: 321, outputTokens: 54 });
    if (name === 'openai') expect(server().requests[0]?.body.stream_options).toEqual({ include_usage: true });
  });

  it('turns 429 into ModelThrottledError with retry-after, without retrying itself', async () => {
    server().script([{ status: 429, retryAfter: 7 }, { text: 'too late' }]);

    const error = await build()
      .generate({ model, messages: ask('hi') })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ModelThrottledError);
    expect(error).toMatchObject({ name: 'ModelThrottledError', retryAfterSeconds: 7, status: 429, retryable: true });
    expect(server().requests).toHaveLength(1);
  });

  it('turns 500 into ModelUnavailableError, without retrying itself', async () => {
    server().script([{ status: 500 }, { text: 'too late' }]);

    const error = await build()
      .generate({ model, messages: ask('hi') })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ModelUnavailableError);
    expect(error).toMatchObject({ name: 'ModelUnavailableError', status: 500, retryable: true });
    expect(server().requests).toHaveLength(1);
  });

  it('turns 400 into a non-retryable ModelRequestError', async () => {
    server().script([{ status: 400, message: 'model not found' }]);

    const error = await build()
      .generate({ model, messages: ask('hi') })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ModelRequestError);
    expect(error).toMatchObject({ name: 'ModelRequestError', retryable: false });
    expect((error as Error).message).toContain('model not found');
  });

  it('gives up on a server that never answers with ModelTimeoutError', async () => {
    server().script([{ hang: true }]);

    const error = await build(300)
      .generate({ model, messages: ask('hi') })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ModelTimeoutError);
    expect(error).toMatchObject({ name: 'ModelTimeoutError', retryable: true });
  });

  it('gives up on a stream that stalls half-way with ModelTimeoutError', async () => {
    server().script([{ text: 'partial answer', hang: true }]);
    const tokens: string[] = [];

    const error = await build()
      .generate({ model, messages: ask('hi') }, { timeoutMs: 300, onToken: (t) => tokens.push(t) })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ModelTimeoutError);
    expect(tokens.join('')).toBe('partial answer');
  });

  it('ends with ModelTimeoutError when the caller aborts mid-stream', async () => {
    server().script([{ text: 'partial answer', hang: true }]);
    const controller = new AbortController();

    const error = await build()
      .generate({ model, messages: ask('hi') }, { signal: controller.signal, onToken: () => controller.abort() })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ModelTimeoutError);
    expect((error as Error).message).toContain('aborted');
  });

  // Regression (issue 11): the OpenAI adapter took a stream without its finish marker, or a JSON body answering
  // the streaming request, as a complete (truncated or empty) answer.
  it.each<[string, ScriptedTurn, RegExp]>([
    [
      'ends without its finish marker',
      { text: 'The answer is 4', tokens: ['The', ' answer', ' is', ' 4'], truncate: true },
      /ended before its finish marker/,
    ],
    [
      'ends without its finish marker after a tool call',
      { toolCalls: [{ name: 'calculator', arguments: { expression: '2+2' } }], truncate: true },
      /ended before its finish marker/,
    ],
    [
      'is plain JSON instead of an event stream',
      { text: 'The answer is 4', nonStream: true },
      /answered with application\/json, not an event stream/,
    ],
    ['carries a frame that is not JSON', { text: 'The answer', malformedFrame: true }, /broke|JSON/],
  ])('takes a response that %s as a broken stream: ModelUnavailableError, nothing returned', async (_case, turn, reason) => {
    server().script([turn]);
    const tokens: string[] = [];

    const error = await build()
      .generate({ model, messages: ask('2+2?'), tools }, { onToken: (t) => tokens.push(t) })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ModelUnavailableError);
    expect(error).toMatchObject({ name: 'ModelUnavailableError', retryable: true, provider: name });
    expect((error as Error).message).toMatch(reason);
    expect(server().requests[0]?.body.stream).toBe(true);
  });

  it('returns malformed tool-call JSON as a tool call with a parseError instead of throwing', async () => {
    server().script([
      {
        malformedToolArguments: true,
        toolCalls: [
          { name: 'calculator', arguments: { expression: '1+1' } },
          { name: 'read_file', arguments: { path: 'a.txt' } },
        ],
      },
    ]);

    const result = await build().generate({ model, messages: ask('hi'), tools });

    expect(result.toolCalls).toHaveLength(2);
    for (const call of result.toolCalls) {
      expect(call.parsed).toBeUndefined();
      expect(call.parseError).toMatch(/not valid JSON/);
    }
    expect(result.toolCalls[0]?.arguments).toBe('{"expression":"1+1');
  });
});
