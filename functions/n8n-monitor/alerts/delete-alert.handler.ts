import { httpHandler, noContent } from '#shared/http.ts';
import { alertRepository } from '../n8n-monitor.composition.ts';
import { deleteAlertRoute } from '../n8n-monitor.manifest.ts';
import { deleteAlert } from './alert.service.ts';

export const handler = httpHandler(deleteAlertRoute, async ({ principal, params }) => {
  await deleteAlert(await alertRepository(), principal, params.alertId);
  return noContent();
});
