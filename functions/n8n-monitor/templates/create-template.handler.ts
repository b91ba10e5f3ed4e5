import { created, httpHandler } from '#shared/http.ts';
import { templatePorts } from '../n8n-monitor.composition.ts';
import { createTemplateRoute } from '../n8n-monitor.manifest.ts';
import { createTemplate } from './template.service.ts';

export const handler = httpHandler(createTemplateRoute, async ({ principal, body }) =>
  created(await createTemplate(await templatePorts(), principal, body)),
);
