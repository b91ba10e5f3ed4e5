/**
 * The executions domain wired to its I/O, built once per cold start: PostgreSQL, the channel event log,
 * Step Functions and S3. The loop's tasks add the model providers in agent-loop.composition.ts, so that the
 * REST handlers' bundles carry no provider SDK.
 */
import { createEventFanout } from '#functions/realtime/realtime.public.ts';
import { ChannelEventStore, type EventFanout } from '#shared/channel-events.ts';
import { channelKinds } from '#shared/channels.ts';
import { getPool } from '#shared/db.ts';
import { lazyPort } from '#shared/lazy-port.ts';
import { stateMachineEnv } from '#shared/resources.ts';
import { files, fileStorage } from '../files/files.composition.ts';
import { confirmUpload } from '../files/file.service.ts';
import { toolRunner } from '../tools/tools.composition.ts';
import { executionChannelKind } from './execution-channel.ts';
import { executionObserver } from './execution-observer.adapter.ts';
import { PgExecutionRepository } from './execution.repository.ts';
import type { ExecutionRepository } from './execution.ts';
import { ExecutionsService, type Orchestrator } from './executions.service.ts';

/**
 * The ONE place that decides how execution events reach live subscribers: stored in the channel log
 * (GET /v1/executions/{id}/events, WebSocket resume), then pushed to `execution:<id>` subscribers by the
 * realtime domain's fan-out. Functions that append events therefore need the connections table and the
 * @connections API (their `access` in agents.manifest.ts).
 */
const executionEventFanout = (): EventFanout => createEventFanout({ channels: channelKinds([executionChannelKind()]) });

let eventStore: Promise<ChannelEventStore> | undefined;
export const executionEventStore = (): Promise<ChannelEventStore> =>
  (eventStore ??= getPool().then((pool) => new ChannelEventStore(pool, executionEventFanout())));

/**
 * Step Functions, loaded on the first start, cancel or approval (lazyPort): the reads (get, list, events)
 * never call it and do not load the SDK on a cold start.
 */
const orchestrator = lazyPort<Orchestrator>(
  async () => (await import('./step-functions-orchestrator.adapter.ts')).stepFunctionsOrchestrator(stateMachineArn),
  { start: true, stop: true, resume: true },
);

const stateMachineArn = (): string => {
  const arn = process.env[stateMachineEnv('agent')];
  if (!arn) throw new Error(`${stateMachineEnv('agent')} is not set`);
  return arn;
};

/** The store of executions; the events its units commit go to live subscribers through the fan-out above. */
export const repository = async (): Promise<ExecutionRepository> => new PgExecutionRepository(await getPool(), (await executionEventStore()).fanout);

let service: Promise<ExecutionsService> | undefined;
export const executionsService = (): Promise<ExecutionsService> => {
  service ??= (async () => {
    const store = await executionEventStore();
    return new ExecutionsService({
      repo: await repository(),
      orchestrator,
      eventReader: store,
      needsApproval: (name) => toolRunner().needsApproval(name),
      confirmUploads: async (tenantId, fileIds) => {
        const [repo, storage] = [await files(), fileStorage()];
        await Promise.all(fileIds.map((id) => confirmUpload(repo, storage, tenantId, id)));
      },
      observer: executionObserver,
    });
  })();
  service.catch(() => (service = undefined));
  return service;
};
