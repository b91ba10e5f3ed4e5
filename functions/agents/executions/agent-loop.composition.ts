/**
 * The agent loop's tasks wired to their I/O, built once per cold start: the executions adapters plus the
 * model providers with their keys (Secrets Manager in AWS, the environment locally) and the tools.
 */
import { logger } from '#shared/observability.ts';
import { taskHandler } from '#shared/task.ts';
import { configuredModels, type ConfiguredModels } from '../providers/models.composition.ts';
import { filesPort } from '../tools/files-port.composition.ts';
import { toolRunner } from '../tools/tools.composition.ts';
import { AgentLoop, type TaskInput } from './agent-loop.service.ts';
import { channelExecutionEvents } from './execution-events.ts';
import { executionEventStore, repository } from './executions.composition.ts';

const buildLoop = async (models: ConfiguredModels): Promise<AgentLoop> =>
  new AgentLoop({
    repo: await repository(),
    events: channelExecutionEvents(await executionEventStore()),
    providers: models.providers,
    providerConfigured: models.configured,
    tools: toolRunner(),
    files: filesPort(),
    onWarning: (message, error) => logger.warn(message, { error }),
  });

let loop: { version: string; value: Promise<AgentLoop> } | undefined;

/** The loop, rebuilt when a provider key changed (see configuredModels). */
export const agentLoop = async (): Promise<AgentLoop> => {
  const models = await configuredModels();
  if (loop?.version !== models.version) {
    const value = buildLoop(models);
    loop = { version: models.version, value };
    value.catch(() => {
      if (loop?.value === value) loop = undefined;
    });
  }
  return loop.value;
};

/** A task of the agent state machine: the shared task stack with the execution id as correlation id. */
export const agentTask = <I extends TaskInput, O>(useCase: (input: I, signal: AbortSignal) => Promise<O>) =>
  taskHandler(useCase, { correlationId: (input) => input?.executionId });
