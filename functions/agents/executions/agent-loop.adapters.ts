/**
 * The agent loop's tasks wired to their I/O, built once per cold start: the executions adapters plus the
 * model providers with their keys (Secrets Manager in AWS, the environment locally) and the tools.
 */
import { logger } from '#shared/observability.ts';
import { readSecret } from '#shared/secrets.ts';
import { secrets } from '#lib/resources.ts';
import type { ModelProviderName } from '../domain/model.types.ts';
import { createModelProviders } from '../providers/model-provider.factory.ts';
import { filesPort, toolRunner } from '../tools/tools.adapters.ts';
import { AgentLoop } from './agent-loop.service.ts';
import { channelExecutionEvents } from './execution-events.ts';
import { executionEventStore, repository } from './executions.adapters.ts';

/** `unset` is the placeholder the stack's secrets start with: the key was never filled in. */
const readKey = async (envName: string): Promise<string> => {
  try {
    const value = await readSecret(envName);
    return value === 'unset' ? '' : value;
  } catch {
    return '';
  }
};

let loop: Promise<AgentLoop> | undefined;
export const agentLoop = (): Promise<AgentLoop> => {
  loop ??= (async () => {
    const [openaiKey, anthropicKey] = await Promise.all([readKey(secrets.openaiApiKey.env), readKey(secrets.anthropicApiKey.env)]);
    const keys: Record<ModelProviderName, string> = { openai: openaiKey, anthropic: anthropicKey };
    const baseUrls: Record<ModelProviderName, string | undefined> = { openai: process.env.OPENAI_BASE_URL, anthropic: process.env.ANTHROPIC_BASE_URL };
    // An empty key (not `undefined`) keeps the adapters from falling back to the raw env value.
    const providers = createModelProviders({ openai: { apiKey: openaiKey }, anthropic: { apiKey: anthropicKey } });
    return new AgentLoop({
      repo: await repository(),
      events: channelExecutionEvents(await executionEventStore()),
      providers,
      providerConfigured: (name) => keys[name] !== '' || !!baseUrls[name],
      tools: toolRunner(),
      files: filesPort(),
      onWarning: (message, error) => logger.warn(message, { error }),
    });
  })();
  loop.catch(() => (loop = undefined));
  return loop;
};
