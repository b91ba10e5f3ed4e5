import { httpHandler, ok } from '#shared/http.ts';
import { alertRepository } from '../n8n-monitor.composition.ts';
import { listAlertEventsRoute } from '../n8n-monitor.manifest.ts';
import { listAlertEvents } from './alert.service.ts';

export const handler = httpHandler(listAlertEventsRoute, async ({ principal, params, query }) =>
  ok(await listAlertEvents(await alertRepository(), principal, params.alertId, query)),
);
