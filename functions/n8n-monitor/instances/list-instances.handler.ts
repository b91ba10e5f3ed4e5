import { httpHandler, ok } from '#shared/http.ts';
import { instanceRepository } from '../n8n-monitor.composition.ts';
import { listInstancesRoute } from '../n8n-monitor.manifest.ts';
import { listInstances } from './instance.service.ts';

export const handler = httpHandler(listInstancesRoute, async ({ principal, query }) =>
  ok(await listInstances(await instanceRepository(), principal, query)),
);
