import { httpHandler, ok } from '#shared/http.ts';
import { monitorReads } from '../n8n-monitor.composition.ts';
import { listWorkflowsRoute } from '../n8n-monitor.manifest.ts';
import { listWorkflows } from './monitor-reads.service.ts';

export const handler = httpHandler(listWorkflowsRoute, async ({ principal, query }) =>
  ok(await listWorkflows(await monitorReads(), principal, query)),
);
