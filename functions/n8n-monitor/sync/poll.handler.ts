/**
 * The scheduled poll (EventBridge in AWS, the runtime's scheduler locally): syncs every registered instance,
 * a few at a time, then evaluates each tenant's alert rules. Starts no new n8n request after four of its five
 * minutes; unfinished walks resume on the next poll.
 */
import { logger, metrics, MetricUnit } from '#shared/observability.ts';
import { taskHandler } from '#shared/task.ts';
import { evaluateAlertsOf, syncPorts } from '../n8n-monitor.composition.ts';
import { syncAll } from './sync.service.ts';

const BUDGET_MS = 240_000;

export const handler = taskHandler<unknown, { instances: number; failed: number }>(async () => {
  const results = await syncAll(await syncPorts(), { deadline: Date.now() + BUDGET_MS, afterTenant: evaluateAlertsOf });
  const failed = results.filter((r) => r.outcome === 'failed');
  for (const r of failed) logger.warn('n8n instance sync failed', { instanceId: r.instanceId, error: r.error });
  // Sync lag, the dashboard's and its alarm's figure: how long since the stalest instance last synced (one
  // value for all instances, so tenants add no metric cost), and how many syncs of this poll failed.
  const now = Date.now();
  const all = await (await syncPorts()).instances.listAll();
  const lag = Math.max(0, ...all.map((i) => (now - (i.lastSuccessAt ?? i.createdAt).getTime()) / 1000));
  metrics.addMetric('N8nSyncLagSeconds', MetricUnit.Seconds, Math.round(lag));
  metrics.addMetric('N8nSyncFailures', MetricUnit.Count, failed.length);
  return { instances: results.length, failed: failed.length };
});
