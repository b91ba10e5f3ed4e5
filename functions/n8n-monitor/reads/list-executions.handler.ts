import { httpHandler, ok } from '#shared/http.ts';
import { monitorReads } from '../n8n-monitor.composition.ts';
import { listExecutionsRoute } from '../n8n-monitor.manifest.ts';
import { listExecutions } from './monitor-reads.service.ts';

export const handler = httpHandler(listExecutionsRoute, async ({ principal, query }) =>
  ok(await listExecutions(await monitorReads(), principal, query)),
);
