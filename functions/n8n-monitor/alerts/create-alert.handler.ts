import { created, httpHandler } from '#shared/http.ts';
import { alertPorts } from '../n8n-monitor.composition.ts';
import { createAlertRoute } from '../n8n-monitor.manifest.ts';
import { createAlert } from './alert.service.ts';

export const handler = httpHandler(createAlertRoute, async ({ principal, body }) => created(await createAlert(await alertPorts(), principal, body)));
