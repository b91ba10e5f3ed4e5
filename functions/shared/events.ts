/**
 * The stage's EventBridge bus: audit entries and the domains' own events (execution finished, alert fired,
 * key revoked), so customers can route them with rules of their own. The bus name comes from EVENT_BUS_NAME
 * (set for functions whose manifest access has `eventBus`); without it nothing is published. Locally the
 * runtime serves a PutEvents endpoint (AWS_ENDPOINT_URL_EVENTBRIDGE) that keeps and shows what arrives.
 *
 * Publishing is best effort: an event that cannot be put is logged and counted (`EventPublishFailed`, which
 * has an alarm), and never fails the request that caused it; the database stays the record.
 */
import type { EventBridgeClient, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { logger, metrics, MetricUnit } from './observability.ts';
import { env } from './resources.ts';

/** Every event's `source` starts with this: `mls.audit`, `mls.agents`, `mls.n8n-monitor`, `mls.platform`. */
export const EVENT_SOURCE_PREFIX = 'mls';

export interface PlatformEvent {
  /** The domain (or `audit`) that emits it; becomes `source: mls.<domain>`. */
  source: string;
  /** e.g. `Audit Entry`, `Execution Finished`, `Alert Fired`, `API Key Revoked`. */
  detailType: string;
  /** Always carries `tenantId`, so a rule can route one tenant's events. Never secrets or bodies. */
  detail: { tenantId: string } & Record<string, unknown>;
}

/** The port use cases publish through. */
export type EventPublisher = (events: PlatformEvent[]) => Promise<void>;

/** PutEvents takes at most 10 entries per call. */
const BATCH = 10;

// Loaded on the first publish, not at cold start: every HTTP handler imports this (through the audit trail),
// and most invocations publish nothing.
let sdk: Promise<typeof import('@aws-sdk/client-eventbridge')> | undefined;
let client: EventBridgeClient | undefined;

/** Publishes to the stage's bus; a no-op when the function has no bus (EVENT_BUS_NAME unset). */
export const publishEvents: EventPublisher = async (events) => {
  const busName = process.env[env.eventBusName];
  if (!busName || events.length === 0) return;
  sdk ??= import('@aws-sdk/client-eventbridge');
  const { EventBridgeClient, PutEventsCommand } = await sdk;
  client ??= new EventBridgeClient({});
  const entries: PutEventsRequestEntry[] = events.map((e) => ({
    EventBusName: busName,
    Source: `${EVENT_SOURCE_PREFIX}.${e.source}`,
    DetailType: e.detailType,
    Detail: JSON.stringify(e.detail),
  }));
  for (let i = 0; i < entries.length; i += BATCH) {
    const batch = entries.slice(i, i + BATCH);
    try {
      const result = await client.send(new PutEventsCommand({ Entries: batch }));
      const failed = result.FailedEntryCount ?? 0;
      if (failed > 0) {
        metrics.addMetric('EventPublishFailed', MetricUnit.Count, failed);
        logger.warn('Some events were not put on the bus', { failed, codes: result.Entries?.map((e) => e.ErrorCode).filter(Boolean) });
      }
    } catch (error) {
      metrics.addMetric('EventPublishFailed', MetricUnit.Count, batch.length);
      logger.warn('Events could not be put on the bus', { error: (error as Error).message, count: batch.length });
    }
  }
};
