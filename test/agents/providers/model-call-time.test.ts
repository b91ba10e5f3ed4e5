/**
 * A model call that runs out of time, through the real SDKs against the scripted model server: an answer still
 * streaming at the deadline is too long for the call's time and must not be retried (another try is cut off at
 * the same point, and paid again), while a call that got no answer, or stalled, may be tried again. And the
 * bound on what an agent may ask for, which is what keeps the first case rare.
 */
import { describe, expect, it } from 'vitest';
import { MAX_OUTPUT_TOKENS, MODEL_CALL_TIMEOUT_SECONDS, modelConfig } from '#functions/agents/agents.contracts.ts';
import { manifest } from '#functions/manifest.ts';
import { ModelOutputTooLongError, ModelTimeoutError } from '#functions/agents/models/model.errors.ts';
import type { ModelProvider } from '#functions/agents/models/model.types.ts';
import { AnthropicProvider } from '#functions/agents/providers/anthropic.provider.ts';
import { OpenAIProvider } from '#functions/agents/providers/openai.provider.ts';
import { allFunctionSpecs, flatten } from '#shared/manifest.types.ts';
import { scriptedModelServerPerFile } from '../../support/scripted-model.ts';

const server = scriptedModelServerPerFile();

const providers: Array<{ name: string; model: string; build: () => ModelProvider }> = [
  { name: 'openai', model: 'gpt-4o-mini', build: () => new OpenAIProvider({ apiKey: 'sk-test', baseURL: server().openaiBaseURL }) },
  {
    name: 'anthropic',
    model: 'claude-sonnet-5',
    build: () => new AnthropicProvider({ apiKey: 'sk-ant-test', baseURL: server().anthropicBaseURL }),
  },
];
const ask = [{ role: 'user' as const, content: 'Write a long story.' }];
// A long answer streaming steadily: 400 words, one every 5 ms (2 s in all), far beyond the 800 ms deadline.
const longAnswer = { text: Array.from({ length: 400 }, (_, i) => `word${i}`).join(' '), tokenDelayMs: 5 };

describe.each(providers)('$name: a call that runs out of time', ({ model, build }) => {
  it('still streaming at the deadline: ModelOutputTooLongError, not retryable, naming maxTokens', async () => {
    server().script([longAnswer]);
    const tokens: string[] = [];
    const error = await build()
      .generate({ model, messages: ask }, { timeoutMs: 800, onToken: (t) => tokens.push(t) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelOutputTooLongError);
    expect(error).toMatchObject({ name: 'ModelOutputTooLongError', retryable: false });
    expect((error as Error).message).toMatch(/still streaming.*maxTokens/);
    // It did stream for a while: this is the long answer, not a hang.
    expect(tokens.length).toBeGreaterThan(10);
    expect(await server().requests[0]!.ended).toBe('aborted');
  });

  it('stalled mid-stream long before the deadline: ModelTimeoutError, which may be retried', async () => {
    server().script([{ text: 'partial answer', hang: true }]);
    const error = await build()
      .generate({ model, messages: ask }, { timeoutMs: 800 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelTimeoutError);
    expect(error).toMatchObject({ retryable: true });
  });

  it('cut short by the caller (a cancel) stays a ModelTimeoutError even while streaming', async () => {
    server().script([longAnswer]);
    const controller = new AbortController();
    const error = await build()
      .generate({ model, messages: ask }, { timeoutMs: 10_000, signal: controller.signal, onToken: () => controller.abort() })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelTimeoutError);
    expect((error as Error).message).toContain('aborted by the caller');
  });
});

describe('the bound on an answer', () => {
  it('refuses maxTokens above what fits in a model call, and accepts the bound itself', () => {
    const base = { provider: 'openai', name: 'gpt-4o-mini' };
    expect(modelConfig.safeParse({ ...base, maxTokens: MAX_OUTPUT_TOKENS }).success).toBe(true);
    const refused = modelConfig.safeParse({ ...base, maxTokens: MAX_OUTPUT_TOKENS + 1 });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.path).toEqual(['maxTokens']);
  });

  it('gives the model-call task the longest Lambda timeout, with room for the bound at a slow 36 tokens a second', () => {
    const callModel = allFunctionSpecs(flatten(manifest)).find((f) => f.name === 'agent-call-model')!;
    expect(callModel.timeoutSeconds).toBe(MODEL_CALL_TIMEOUT_SECONDS);
    expect(MODEL_CALL_TIMEOUT_SECONDS).toBe(900);
    expect(MAX_OUTPUT_TOKENS / 36).toBeLessThan(MODEL_CALL_TIMEOUT_SECONDS - 5);
  });
});
