import { httpHandler, ok } from '#shared/http.ts';
import { instancePorts } from '../n8n-monitor.composition.ts';
import { updateInstanceRoute } from '../n8n-monitor.manifest.ts';
import { updateInstance } from './instance.service.ts';

export const handler = httpHandler(updateInstanceRoute, async ({ principal, params, body }) =>
  ok(await updateInstance(await instancePorts(), principal, params.instanceId, body)),
);
