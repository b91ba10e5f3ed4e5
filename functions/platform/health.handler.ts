import { httpHandler, ok } from '#shared/http.ts';
import { healthRoute } from './platform.routes.ts';

export const handler = httpHandler(healthRoute, () => ok({ status: 'ok' }));
