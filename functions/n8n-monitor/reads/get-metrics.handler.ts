import { httpHandler, ok } from '#shared/http.ts';
import { monitorReads } from '../n8n-monitor.composition.ts';
import { BUCKETS, MAX_BUCKETS } from '../n8n-monitor.contracts.ts';
import { metricsRoute } from '../n8n-monitor.manifest.ts';
import { getMetrics } from './monitor-reads.service.ts';

export const handler = httpHandler(metricsRoute, async ({ principal, query }) =>
  ok(await getMetrics(await monitorReads(), principal, query, BUCKETS[query.bucket], MAX_BUCKETS)),
);
