import { created, httpHandler } from '#shared/http.ts';
import { deployPorts } from '../n8n-monitor.composition.ts';
import { exportTemplateRoute } from '../n8n-monitor.manifest.ts';
import { exportWorkflow } from './template.service.ts';

export const handler = httpHandler(exportTemplateRoute, async ({ principal, params, body }) =>
  created(await exportWorkflow(await deployPorts(), principal, params.templateId, body.workflowId)),
);
