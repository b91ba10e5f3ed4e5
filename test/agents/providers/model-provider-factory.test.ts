/**
 * The providers as the agent loop gets them (createModelProviders): each provider's adapter (and its SDK) is
 * built on that provider's first call, then kept, and each call reaches its own provider's wire format.
 */
import { describe, expect, it } from 'vitest';
import type { ModelMessage } from '#functions/agents/models/model.types.ts';
import { createModelProviders } from '#functions/agents/providers/model-provider.factory.ts';
import { scriptedModelServerPerFile } from '../../support/scripted-model.ts';

const ask = (text: string): ModelMessage[] => [{ role: 'user', content: text }];

const server = scriptedModelServerPerFile();

describe('createModelProviders', () => {
  it('answers through each provider, building it on its first call and keeping it', async () => {
    const providers = createModelProviders({
      openai: { apiKey: 'sk-test', baseURL: server().openaiBaseURL },
      anthropic: { apiKey: 'sk-ant-test', baseURL: server().anthropicBaseURL },
    });
    const openai = providers('openai');
    expect(openai.name).toBe('openai');
    expect(providers('openai')).toBe(openai);
    expect(providers('anthropic').name).toBe('anthropic');

    server().script([{ text: 'from openai' }, { text: 'again' }, { text: 'from anthropic' }]);
    const first = await openai.generate({ model: 'gpt-4o-mini', messages: ask('hi') });
    const second = await providers('openai').generate({ model: 'gpt-4o-mini', messages: ask('hi') });
    const third = await providers('anthropic').generate({ model: 'claude-sonnet-5', messages: ask('hi') });

    expect([first.text, second.text, third.text]).toEqual(['from openai', 'again', 'from anthropic']);
    // Each call went out in its provider's wire format, to its own endpoint.
    expect(server().requests.map((r) => r.provider)).toEqual(['openai', 'openai', 'anthropic']);
  });
});
