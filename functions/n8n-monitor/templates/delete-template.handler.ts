import { httpHandler, noContent } from '#shared/http.ts';
import { templatePorts } from '../n8n-monitor.composition.ts';
import { deleteTemplateRoute } from '../n8n-monitor.manifest.ts';
import { deleteTemplate } from './template.service.ts';

export const handler = httpHandler(deleteTemplateRoute, async ({ principal, params }) => {
  await deleteTemplate(await templatePorts(), principal, params.templateId);
  return noContent();
});
