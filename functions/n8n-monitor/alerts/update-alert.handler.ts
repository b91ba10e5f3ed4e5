import { httpHandler, ok } from '#shared/http.ts';
import { alertPorts } from '../n8n-monitor.composition.ts';
import { updateAlertRoute } from '../n8n-monitor.manifest.ts';
import { updateAlert } from './alert.service.ts';

export const handler = httpHandler(updateAlertRoute, async ({ principal, params, body }) =>
  ok(await updateAlert(await alertPorts(), principal, params.alertId, body)),
);
