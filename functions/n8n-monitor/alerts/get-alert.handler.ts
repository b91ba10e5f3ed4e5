import { httpHandler, ok } from '#shared/http.ts';
import { alertRepository } from '../n8n-monitor.composition.ts';
import { getAlertRoute } from '../n8n-monitor.manifest.ts';
import { getAlert } from './alert.service.ts';

export const handler = httpHandler(getAlertRoute, async ({ principal, params }) =>
  ok(await getAlert(await alertRepository(), principal, params.alertId)),
);
