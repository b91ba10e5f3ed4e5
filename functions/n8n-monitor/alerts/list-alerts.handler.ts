import { httpHandler, ok } from '#shared/http.ts';
import { alertRepository } from '../n8n-monitor.composition.ts';
import { listAlertsRoute } from '../n8n-monitor.manifest.ts';
import { listAlerts } from './alert.service.ts';

export const handler = httpHandler(listAlertsRoute, async ({ principal, query }) => ok(await listAlerts(await alertRepository(), principal, query)));
