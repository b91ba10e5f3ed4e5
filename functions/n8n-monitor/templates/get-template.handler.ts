import { httpHandler, ok } from '#shared/http.ts';
import { templatePorts } from '../n8n-monitor.composition.ts';
import { getTemplateRoute } from '../n8n-monitor.manifest.ts';
import { getTemplate } from './template.service.ts';

export const handler = httpHandler(getTemplateRoute, async ({ principal, params, query }) =>
  ok(await getTemplate(await templatePorts(), principal, params.templateId, query.version)),
);
