import { httpHandler, noContent } from '#shared/http.ts';
import { instanceRepository } from '../n8n-monitor.composition.ts';
import { deleteInstanceRoute } from '../n8n-monitor.manifest.ts';
import { deleteInstance } from './instance.service.ts';

export const handler = httpHandler(deleteInstanceRoute, async ({ principal, params }) => {
  await deleteInstance(await instanceRepository(), principal, params.instanceId);
  return noContent();
});
