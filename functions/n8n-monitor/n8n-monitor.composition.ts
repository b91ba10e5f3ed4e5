/**
 * The n8n monitor's composition root: its ports wired to their adapters (PostgreSQL, the n8n HTTP client with
 * the SSRF policy, the sealed-credentials box, the channel event log with realtime's fan-out, S3, SNS). Built
 * once per cold start, lazily, so a handler only opens what it uses.
 */
import { createEventFanout } from '#functions/realtime/realtime.public.ts';
import { ChannelEventStore } from '#shared/channel-events.ts';
import { channelKinds } from '#shared/channels.ts';
import { getPool } from '#shared/db.ts';
import { lazyPort } from '#shared/lazy-port.ts';
import { settings } from '#shared/resources.ts';
import { credentialsBox } from '#shared/sealed-secrets.ts';
import { PgAlertObservations } from './alerts/alert-observations.repository.ts';
import { PgAlertRepository } from './alerts/alert.repository.ts';
import { evaluateAlerts, type AlertPorts } from './alerts/alert.service.ts';
import type { InstanceRecord } from './instances/instance.ts';
import { PgInstanceRepository } from './instances/instance.repository.ts';
import { keyContext, type InstancePorts } from './instances/instance.service.ts';
import { createN8nClient } from './n8n/n8n-api.adapter.ts';
import type { N8nApi, N8nApiFactory } from './n8n/n8n-api.ts';
import { n8nChannel } from './n8n-monitor.public.ts';
import { PgMonitorReads } from './reads/monitor-reads.repository.ts';
import type { ActionPorts } from './reads/monitor-reads.service.ts';
import { PgSyncStore } from './sync/sync-store.repository.ts';
import { type TemplateStorage, templateKey } from './templates/template.ts';
import { PgTemplateRepository } from './templates/template.repository.ts';
import type { DeployPorts, TemplatePorts } from './templates/template.service.ts';
import type { MonitorEvents, SyncPorts } from './sync/sync.service.ts';

/** The outbound rules for n8n instances and alert webhooks (metadata addresses are never reachable). */
export const outboundPolicy = () => ({
  allowPrivateNetworks: process.env[settings.n8nAllowPrivateNetworks.env] === 'true',
  alwaysRefuseLinkLocal: true,
});

let factory: N8nApiFactory | undefined;
export const n8nApiFactory = (): N8nApiFactory =>
  (factory ??= createN8nClient({ policy: outboundPolicy(), timeoutMs: Number(process.env.N8N_REQUEST_TIMEOUT_MS ?? 10_000) }));

export const instanceRepository = async () => new PgInstanceRepository(await getPool());
export const syncStore = async () => new PgSyncStore(await getPool());

export const instancePorts = async (): Promise<InstancePorts> => ({
  repo: await instanceRepository(),
  box: await credentialsBox(),
  api: n8nApiFactory(),
});

/** The API of one registered instance, its key unsealed here and nowhere else. */
export const apiFor = async (instance: InstanceRecord): Promise<N8nApi> => {
  const box = await credentialsBox();
  return n8nApiFactory()({ baseUrl: instance.baseUrl, apiKey: box.open(instance.apiKeySealed, keyContext(instance.tenantId, instance.instanceId)) });
};

let eventStore: Promise<ChannelEventStore> | undefined;
/** The tenant's `n8n` channel log, pushed to live subscribers by the realtime domain's fan-out. */
export const monitorEventStore = (): Promise<ChannelEventStore> =>
  (eventStore ??= getPool().then((pool) => new ChannelEventStore(pool, createEventFanout({ channels: channelKinds([n8nChannel()]) }))));

export const monitorEvents = (): MonitorEvents => ({
  publish: async (tenantId, events) => {
    await (await monitorEventStore()).append(tenantId, `n8n:${tenantId}`, events);
  },
});

export const syncPorts = async (): Promise<SyncPorts> => ({
  instances: await instanceRepository(),
  store: await syncStore(),
  apiFor,
  events: monitorEvents(),
});

export const alertRepository = async () => new PgAlertRepository(await getPool());

export const alertPorts = async (): Promise<AlertPorts> => ({
  repo: await alertRepository(),
  instances: await instanceRepository(),
  box: await credentialsBox(),
});

/** Judges the tenant's alert rules on what is synced now; deliveries go to each rule's targets. */
export const evaluateAlertsOf = async (tenantId: string): Promise<void> => {
  // Only the sync and evaluate functions deliver alerts: the notifier (and its SNS client) is loaded here, so
  // the REST functions of this domain do not load it on a cold start.
  const [pool, { createAlertNotifier }] = await Promise.all([getPool(), import('./alerts/alert-notifier.adapter.ts')]);
  await evaluateAlerts(
    {
      repo: new PgAlertRepository(pool),
      observations: new PgAlertObservations(pool),
      notifier: createAlertNotifier({ events: monitorEvents(), box: await credentialsBox(), policy: outboundPolicy() }),
    },
    tenantId,
  );
};

export const monitorReads = async () => new PgMonitorReads(await getPool());

export const actionPorts = async (): Promise<ActionPorts> => ({
  reads: await monitorReads(),
  instances: await instanceRepository(),
  store: await syncStore(),
  apiFor,
});

// S3 is loaded on the storage's first call (lazyPort): the domain's other functions never load it.
const templateStorage = lazyPort<TemplateStorage>(
  async () => {
    const [{ bucketName, createS3Client }, { s3TemplateStorage }] = await Promise.all([
      import('#shared/s3.ts'),
      import('./templates/template-storage.adapter.ts'),
    ]);
    return s3TemplateStorage(createS3Client(), () => bucketName());
  },
  { put: true, get: true, delete: true },
);

export const templatePorts = async (): Promise<TemplatePorts> => ({
  repo: new PgTemplateRepository(await getPool()),
  storage: templateStorage,
  objectKey: templateKey,
});

export const deployPorts = async (): Promise<DeployPorts> => ({
  ...(await templatePorts()),
  instances: await instanceRepository(),
  store: await syncStore(),
  apiFor,
});
