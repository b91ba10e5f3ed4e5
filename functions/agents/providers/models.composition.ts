/**
 * The model providers with the deployment's keys (Secrets Manager in AWS, the environment locally), built
 * once per cold start and rebuilt when a key changes: an operator fills the key secrets after the first
 * deploy, and warm containers must pick that up. readSecret is cached (5 min), so the check costs nothing.
 */
import { secrets, settings } from '#shared/resources.ts';
import { MissingSecretError, readSecret } from '#shared/secrets.ts';
import type { ModelProviderName } from '../models/model.types.ts';
import { createModelProviders, type ModelProviders } from './model-provider.factory.ts';

/**
 * `unset` is the placeholder the stack's secrets start with: the key was never filled in; so is a secret
 * that is not wired at all. Any other failure (Secrets Manager throttling, a network error) propagates: the
 * caller fails with that reason instead of the provider looking unconfigured.
 */
const readKey = async (envName: string): Promise<string> => {
  try {
    const value = await readSecret(envName);
    return value === 'unset' ? '' : value;
  } catch (error) {
    if (error instanceof MissingSecretError) return '';
    throw error;
  }
};

export interface ConfiguredModels {
  providers: ModelProviders;
  /** False when the provider has neither a key nor a custom base URL (the `unset` placeholder). */
  configured: (name: ModelProviderName) => boolean;
  /** Changes whenever a key does: callers that build on the providers rebuild when it changes. */
  version: string;
}

let current: ConfiguredModels | undefined;

export const configuredModels = async (): Promise<ConfiguredModels> => {
  const [openai, anthropic] = await Promise.all([readKey(secrets.openaiApiKey.env), readKey(secrets.anthropicApiKey.env)]);
  const version = `${openai}\n${anthropic}`;
  if (current?.version !== version) {
    const keys: Record<ModelProviderName, string> = { openai, anthropic };
    const baseUrls: Record<ModelProviderName, string | undefined> = {
      openai: process.env[settings.openaiBaseUrl.env],
      anthropic: process.env[settings.anthropicBaseUrl.env],
    };
    current = {
      // An empty key (not `undefined`) keeps the adapters from falling back to the raw env value.
      providers: createModelProviders({ openai: { apiKey: openai }, anthropic: { apiKey: anthropic } }),
      configured: (name) => keys[name] !== '' || !!baseUrls[name],
      version,
    };
  }
  return current;
};
