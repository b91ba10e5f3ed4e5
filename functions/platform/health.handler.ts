import { httpHandler, ok } from '#shared/http.ts';
import { healthRoute } from './platform.manifest.ts';

export const handler = httpHandler(healthRoute, () => ok({ status: 'ok' }));
