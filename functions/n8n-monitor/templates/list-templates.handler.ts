import { httpHandler, ok } from '#shared/http.ts';
import { templatePorts } from '../n8n-monitor.composition.ts';
import { listTemplatesRoute } from '../n8n-monitor.manifest.ts';
import { listTemplates } from './template.service.ts';

export const handler = httpHandler(listTemplatesRoute, async ({ principal, query }) =>
  ok(await listTemplates((await templatePorts()).repo, principal, query)),
);
