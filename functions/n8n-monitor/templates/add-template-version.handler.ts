import { created, httpHandler } from '#shared/http.ts';
import { templatePorts } from '../n8n-monitor.composition.ts';
import { addTemplateVersionRoute } from '../n8n-monitor.manifest.ts';
import { addTemplateVersion } from './template.service.ts';

export const handler = httpHandler(addTemplateVersionRoute, async ({ principal, params, body }) =>
  created(await addTemplateVersion(await templatePorts(), principal, params.templateId, body.workflow)),
);
