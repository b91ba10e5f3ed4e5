/**
 * The executions domain wired to its I/O, built once per cold start: PostgreSQL, the channel event log,
 * Step Functions, S3 (through the tools' files port) and the model providers with their keys.
 */
import { SendTaskSuccessCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { ChannelEventStore, type EventFanout } from '#shared/channel-events.ts';
import { getPool } from '#shared/db.ts';
import { logger } from '#shared/observability.ts';
import { readSecret } from '#shared/secrets.ts';
import { secrets, stateMachineEnv } from '#lib/resources.ts';
import type { ModelProviderName } from '../domain/model.types.ts';
import { createModelProviders } from '../providers/model-provider.factory.ts';
import { filesPort, toolRunner } from '../tools/tools.adapters.ts';
import { AgentLoop } from './agent-loop.service.ts';
import { channelExecutionEvents } from './execution-events.ts';
import { ExecutionRepository } from './execution.repository.ts';
import { files } from '../agents/agents.adapters.ts';
import { fileStorage } from '../agents/file-storage.adapters.ts';
import { confirmUpload } from '../agents/file.service.ts';
import { createEventFanout } from '#functions/realtime/event-fanout.ts';
import { ExecutionsService, type Orchestrator } from './executions.service.ts';

/**
 * The ONE place that decides how execution events reach live subscribers: stored in the channel log
 * (GET /v1/executions/{id}/events, WebSocket resume), then pushed to `execution:<id>` subscribers by the
 * realtime domain's fan-out. Functions that append events therefore need the connections table and the
 * @connections API (see lib/manifest/executions.manifest.ts).
 */
const executionEventFanout = (): EventFanout => createEventFanout();

let eventStore: Promise<ChannelEventStore> | undefined;
export const executionEventStore = (): Promise<ChannelEventStore> =>
  (eventStore ??= getPool().then((pool) => new ChannelEventStore(pool, executionEventFanout())));

let sfn: SFNClient | undefined;
const sfnClient = (): SFNClient => (sfn ??= new SFNClient({}));

const stateMachineArn = (): string => {
  const arn = process.env[stateMachineEnv('agent')];
  if (!arn) throw new Error(`${stateMachineEnv('agent')} is not set`);
  return arn;
};

export const stepFunctionsOrchestrator = (client: SFNClient, machineArn: () => string): Orchestrator => ({
  start: async (name, input) => {
    try {
      const out = await client.send(new StartExecutionCommand({ stateMachineArn: machineArn(), name, input: JSON.stringify(input) }));
      return out.executionArn!;
    } catch (error) {
      // Started by an earlier attempt: the run is there, under this name.
      if ((error as Error).name === 'ExecutionAlreadyExists') return `${machineArn().replace(':stateMachine:', ':execution:')}:${name}`;
      throw error;
    }
  },
  stop: async (executionArn, cause) => {
    try {
      await client.send(new StopExecutionCommand({ executionArn, cause }));
    } catch (error) {
      // Finished or gone already: the cancel stands in our records either way.
      if ((error as Error).name !== 'ExecutionDoesNotExist') throw error;
    }
  },
  resume: async (token, output) => {
    try {
      await client.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output) }));
      return true;
    } catch (error) {
      if (['TaskDoesNotExist', 'TaskTimedOut', 'InvalidToken'].includes((error as Error).name)) return false;
      throw error;
    }
  },
});

const repository = async (): Promise<ExecutionRepository> => new ExecutionRepository(await getPool());

let service: Promise<ExecutionsService> | undefined;
export const executionsService = (): Promise<ExecutionsService> => {
  service ??= (async () => {
    const store = await executionEventStore();
    return new ExecutionsService({
      repo: await repository(),
      orchestrator: stepFunctionsOrchestrator(sfnClient(), stateMachineArn),
      events: channelExecutionEvents(store),
      eventReader: store,
      needsApproval: (name) => toolRunner().needsApproval(name),
      confirmUploads: async (tenantId, fileIds) => {
        const [repo, storage] = [await files(), fileStorage()];
        await Promise.all(fileIds.map((id) => confirmUpload(repo, storage, tenantId, id)));
      },
    });
  })();
  service.catch(() => (service = undefined));
  return service;
};

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
