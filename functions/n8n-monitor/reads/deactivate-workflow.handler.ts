import { httpHandler, ok } from '#shared/http.ts';
import { actionPorts } from '../n8n-monitor.composition.ts';
import { deactivateWorkflowRoute } from '../n8n-monitor.manifest.ts';
import { setWorkflowActive } from './monitor-reads.service.ts';

export const handler = httpHandler(deactivateWorkflowRoute, async ({ principal, params }) =>
  ok(await setWorkflowActive(await actionPorts(), principal, params.workflowId, false)),
);
