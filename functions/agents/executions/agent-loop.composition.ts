/**
 * The agent loop's tasks wired to their I/O, built once per cold start: the executions adapters plus the
 * model providers with their keys (Secrets Manager in AWS, the environment locally) and the tools.
 */
import { isConnectionFailure } from '#shared/db.ts';
import { logger } from '#shared/observability.ts';
import { settings } from '#shared/resources.ts';
import { taskHandler } from '#shared/task.ts';
import { configuredModels, type ConfiguredModels } from '../providers/models.composition.ts';
import { filesPort } from '../tools/files-port.composition.ts';
import { toolRunner } from '../tools/tools.composition.ts';
import { AgentLoop, type TaskInput } from './agent-loop.service.ts';
import { DatabaseUnavailableError } from './execution.errors.ts';
import { executionObserver } from './execution-observer.adapter.ts';
import { repository } from './executions.composition.ts';

/** A positive whole number from the setting's variable, else the batcher's default. */
const positiveSetting = (name: 'tokenBatchMs' | 'tokenBatchChars'): number | undefined => {
  const value = Number(process.env[settings[name].env]);
  return Number.isInteger(value) && value > 0 ? value : undefined;
};

const buildLoop = async (models: ConfiguredModels): Promise<AgentLoop> =>
  new AgentLoop({
    repo: await repository(),
    tokenBatch: { intervalMs: positiveSetting('tokenBatchMs'), maxChars: positiveSetting('tokenBatchChars') },
    providers: models.providers,
    providerConfigured: models.configured,
    tools: toolRunner(),
    files: filesPort(),
    onWarning: (message, error) => logger.warn(message, { error }),
    observer: executionObserver,
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

/**
 * A task of the agent state machine: the shared task stack with the execution id as correlation id. A database
 * that is unreachable or went away under the task becomes `DatabaseUnavailableError`, which the state machine
 * retries (any other error names a failure retrying cannot fix).
 */
export const agentTask = <I extends TaskInput, O>(useCase: (input: I, signal: AbortSignal) => Promise<O>) =>
  taskHandler(
    async (input: I, signal: AbortSignal) => {
      try {
        return await useCase(input, signal);
      } catch (error) {
        if (isConnectionFailure(error)) {
          throw new DatabaseUnavailableError((error as Error).message, { cause: error });
        }
        throw error;
      }
    },
    { correlationId: (input) => input?.executionId },
  );
