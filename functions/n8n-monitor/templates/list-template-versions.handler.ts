import { httpHandler, ok } from '#shared/http.ts';
import { templatePorts } from '../n8n-monitor.composition.ts';
import { listTemplateVersionsRoute } from '../n8n-monitor.manifest.ts';
import { listTemplateVersions } from './template.service.ts';

export const handler = httpHandler(listTemplateVersionsRoute, async ({ principal, params, query }) =>
  ok(await listTemplateVersions((await templatePorts()).repo, principal, params.templateId, query)),
);
