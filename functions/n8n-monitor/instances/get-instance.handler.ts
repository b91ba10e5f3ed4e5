import { httpHandler, ok } from '#shared/http.ts';
import { instanceRepository } from '../n8n-monitor.composition.ts';
import { getInstanceRoute } from '../n8n-monitor.manifest.ts';
import { getInstance } from './instance.service.ts';

export const handler = httpHandler(getInstanceRoute, async ({ principal, params }) =>
  ok(await getInstance(await instanceRepository(), principal, params.instanceId)),
);
