/**
 * Builds each provider adapter once per container, on first use (a deployment may hold only one
 * provider's key). Keys are read by the caller (Secrets Manager in AWS, the environment locally) and
 * passed in; without them the adapters read `OPENAI_API_KEY` / `ANTHROPIC_API_KEY`.
 *
 * Each provider's SDK is loaded on that provider's first call: the `openai` and `@anthropic-ai/sdk` packages
 * are each hundreds of KiB of code, and a function whose agents use one provider never evaluates the other.
 */

import type { ModelProvider, ModelProviderName } from '../models/model.types.ts';
import type { AnthropicProviderOptions } from './anthropic.provider.ts';
import type { OpenAIProviderOptions } from './openai.provider.ts';

export interface ModelProvidersOptions {
  openai?: OpenAIProviderOptions;
  anthropic?: AnthropicProviderOptions;
}

export type ModelProviders = (name: ModelProviderName) => ModelProvider;

const load = async (name: ModelProviderName, options: ModelProvidersOptions): Promise<ModelProvider> =>
  name === 'openai'
    ? new (await import('./openai.provider.ts')).OpenAIProvider(options.openai)
    : new (await import('./anthropic.provider.ts')).AnthropicProvider(options.anthropic);

/** The adapter, built on the first call; a build that failed (a missing key) is tried again on the next. */
const onFirstUse = (name: ModelProviderName, options: ModelProvidersOptions): ModelProvider => {
  let adapter: Promise<ModelProvider> | undefined;
  return {
    name,
    generate: async (request, generateOptions) => {
      adapter ??= load(name, options);
      adapter.catch(() => {
        adapter = undefined;
      });
      return (await adapter).generate(request, generateOptions);
    },
  };
};

export const createModelProviders = (options: ModelProvidersOptions = {}): ModelProviders => {
  const built = new Map<ModelProviderName, ModelProvider>();
  return (name) => {
    let provider = built.get(name);
    if (!provider) {
      provider = onFirstUse(name, options);
      built.set(name, provider);
    }
    return provider;
  };
};
