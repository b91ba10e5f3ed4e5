/**
 * The scripted model server's own wire fidelity, checked by the SDKs' strictest consumers: their
 * non-streaming parsers and their stream helpers (which assemble events themselves and reject an
 * out-of-order or unknown sequence).
 */

import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startScriptedModelServer, type ScriptedModelServer } from '../../model-server/scripted-model-server.ts';

let server: ScriptedModelServer;
let openai: OpenAI;
let anthropic: Anthropic;
beforeAll(async () => {
  server = await startScriptedModelServer();
  openai = new OpenAI({ apiKey: 'sk-test', baseURL: server.openaiBaseURL, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: 'sk-ant-test', baseURL: server.anthropicBaseURL, maxRetries: 0 });
});
afterAll(async () => {
  await server?.close();
});
beforeEach(() => server.reset());

const turnWithTools = {
  text: 'Two things.',
  toolCalls: [
    { id: 'id_1', name: 'calculator', arguments: { expression: '1+2' } },
    { id: 'id_2', name: 'read_file', arguments: { path: 'x' } },
  ],
  usage: { inputTokens: 10, outputTokens: 20 },
};

describe('OpenAI wire format', () => {
  it('answers non-streaming requests with a chat.completion', async () => {
    server.script([turnWithTools]);

    const completion = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
    });

    const message = completion.choices[0]?.message;
    expect(message?.content).toBe('Two things.');
    expect(message?.tool_calls).toEqual([
      { id: 'id_1', type: 'function', function: { name: 'calculator', arguments: '{"expression":"1+2"}' } },
      { id: 'id_2', type: 'function', function: { name: 'read_file', arguments: '{"path":"x"}' } },
    ]);
    expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
    expect(completion.usage).toMatchObject({ prompt_tokens: 10, completion_tokens: 20, total_tokens: 30 });
  });

  it("streams in a form the SDK's own stream helper assembles", async () => {
    server.script([turnWithTools]);

    const completion = await openai.chat.completions
      .stream({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
        stream_options: { include_usage: true },
      })
      .finalChatCompletion();

    expect(completion.choices[0]?.message.content).toBe('Two things.');
    expect(completion.choices[0]?.message.tool_calls?.map((call) => call.id)).toEqual(['id_1', 'id_2']);
    expect(completion.usage?.total_tokens).toBe(30);
  });

  it('records requests and answers an exhausted script with 400', async () => {
    const error = await openai.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({ provider: 'openai', path: '/v1/chat/completions' });
    expect(server.requests[0]?.headers.authorization).toBe('Bearer sk-test');
  });
});

describe('Anthropic wire format', () => {
  it('answers non-streaming requests with a message', async () => {
    server.script([turnWithTools]);

    const message = await anthropic.messages.create({
      model: 'claude-sonnet-5',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'hi' }],
    });

    expect(message.content).toEqual([
      { type: 'text', text: 'Two things.' },
      { type: 'tool_use', id: 'id_1', name: 'calculator', input: { expression: '1+2' } },
      { type: 'tool_use', id: 'id_2', name: 'read_file', input: { path: 'x' } },
    ]);
    expect(message.stop_reason).toBe('tool_use');
    expect(message.usage).toMatchObject({ input_tokens: 10, output_tokens: 20 });
  });

  it("streams in a form the SDK's own stream helper assembles", async () => {
    server.script([turnWithTools]);

    const message = await anthropic.messages
      .stream({ model: 'claude-sonnet-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] })
      .finalMessage();

    expect(message.content).toMatchObject([
      { type: 'text', text: 'Two things.' },
      { type: 'tool_use', id: 'id_1', name: 'calculator', input: { expression: '1+2' } },
      { type: 'tool_use', id: 'id_2', name: 'read_file', input: { path: 'x' } },
    ]);
    expect(message.stop_reason).toBe('tool_use');
    expect(message.usage).toMatchObject({ input_tokens: 10, output_tokens: 20 });
  });

  it('answers with the scripted turn a function returns, given the request', async () => {
    server.script([(request) => ({ text: `you sent ${request.body.messages.length} message(s)` })]);

    const message = await anthropic.messages.create({
      model: 'claude-sonnet-5',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'hi' }],
    });

    expect(message.content).toEqual([{ type: 'text', text: 'you sent 1 message(s)' }]);
  });
});
