import { httpHandler, ok } from '#shared/http.ts';
import { deployPorts } from '../n8n-monitor.composition.ts';
import { deployTemplateRoute } from '../n8n-monitor.manifest.ts';
import { deployTemplate } from './template.service.ts';

export const handler = httpHandler(deployTemplateRoute, async ({ principal, params, body }) =>
  ok(await deployTemplate(await deployPorts(), principal, params.templateId, body)),
);
