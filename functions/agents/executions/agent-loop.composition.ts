/**
 * The agent loop's tasks wired to their I/O, built once per cold start: the executions adapters plus the
 * model providers with their keys (Secrets Manager in AWS, the environment locally) and the tools.
 */
import { logger } from '#shared/observability.ts';
import { MissingSecretError, readSecret } from '#shared/secrets.ts';
import { secrets } from '#shared/resources.ts';
import type { ModelProviderName } from '../models/model.types.ts';
import { createModelProviders } from '../providers/model-provider.factory.ts';
import { filesPort } from '../tools/files-port.composition.ts';
import { toolRunner } from '../tools/tools.composition.ts';
import { taskHandler } from '#shared/task.ts';
import { AgentLoop, type TaskInput } from './agent-loop.service.ts';
import { channelExecutionEvents } from './execution-events.ts';
import { executionEventStore, repository } from './executions.composition.ts';

/**
 * `unset` is the placeholder the stack's secrets start with: the key was never filled in; so is a secret
 * that is not wired at all. Any other failure (Secrets Manager throttling, a network error) propagates: the
 * task fails with that reason instead of the provider looking unconfigured.
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

const buildLoop = async (keys: Record<ModelProviderName, string>): Promise<AgentLoop> => {
  const baseUrls: Record<ModelProviderName, string | undefined> = { openai: process.env.OPENAI_BASE_URL, anthropic: process.env.ANTHROPIC_BASE_URL };
  // An empty key (not `undefined`) keeps the adapters from falling back to the raw env value.
  const providers = createModelProviders({ openai: { apiKey: keys.openai }, anthropic: { apiKey: keys.anthropic } });
  return new AgentLoop({
    repo: await repository(),
    events: channelExecutionEvents(await executionEventStore()),
    providers,
    providerConfigured: (name) => keys[name] !== '' || !!baseUrls[name],
    tools: toolRunner(),
    files: filesPort(),
    onWarning: (message, error) => logger.warn(message, { error }),
  });
};

let loop: { keys: string; value: Promise<AgentLoop> } | undefined;

/**
 * The loop, rebuilt when a provider key changed: an operator fills the key secrets after the first deploy,
 * and warm containers must pick that up. readSecret is cached (5 min), so the check costs nothing per task.
 */
export const agentLoop = async (): Promise<AgentLoop> => {
  const [openai, anthropic] = await Promise.all([readKey(secrets.openaiApiKey.env), readKey(secrets.anthropicApiKey.env)]);
  const keys = `${openai}\n${anthropic}`;
  if (loop?.keys !== keys) {
    const value = buildLoop({ openai, anthropic });
    loop = { keys, value };
    value.catch(() => {
      if (loop?.value === value) loop = undefined;
    });
  }
  return loop.value;
};

/** A task of the agent state machine: the shared task stack with the execution id as correlation id. */
export const agentTask = <I extends TaskInput, O>(useCase: (input: I, signal: AbortSignal) => Promise<O>) =>
  taskHandler(useCase, { correlationId: (input) => input?.executionId });
