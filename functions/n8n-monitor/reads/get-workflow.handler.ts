import { httpHandler, ok } from '#shared/http.ts';
import { monitorReads } from '../n8n-monitor.composition.ts';
import { getWorkflowRoute } from '../n8n-monitor.manifest.ts';
import { getWorkflow } from './monitor-reads.service.ts';

export const handler = httpHandler(getWorkflowRoute, async ({ principal, params, query }) =>
  ok(await getWorkflow(await monitorReads(), principal, params.workflowId, query)),
);
