/**
 * Builds each provider adapter once per container, on first use (a deployment may hold only one
 * provider's key). Keys are read by the caller (Secrets Manager in AWS, the environment locally) and
 * passed in; without them the adapters read `OPENAI_API_KEY` / `ANTHROPIC_API_KEY`.
 */

import type { ModelProvider, ModelProviderName } from '../models/model.types.ts';
import { AnthropicProvider, type AnthropicProviderOptions } from './anthropic.provider.ts';
import { OpenAIProvider, type OpenAIProviderOptions } from './openai.provider.ts';

export interface ModelProvidersOptions {
  openai?: OpenAIProviderOptions;
  anthropic?: AnthropicProviderOptions;
}

export type ModelProviders = (name: ModelProviderName) => ModelProvider;

export const createModelProviders = (options: ModelProvidersOptions = {}): ModelProviders => {
  const built = new Map<ModelProviderName, ModelProvider>();
  return (name) => {
    let provider = built.get(name);
    if (!provider) {
      provider = name === 'openai' ? new OpenAIProvider(options.openai) : new AnthropicProvider(options.anthropic);
      built.set(name, provider);
    }
    return provider;
  };
};
