import { created, httpHandler } from '#shared/http.ts';
import { instancePorts } from '../n8n-monitor.composition.ts';
import { createInstanceRoute } from '../n8n-monitor.manifest.ts';
import { createInstance } from './instance.service.ts';

export const handler = httpHandler(createInstanceRoute, async ({ principal, body }) =>
  created(await createInstance(await instancePorts(), principal, body)),
);
