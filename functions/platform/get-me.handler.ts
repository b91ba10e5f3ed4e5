import { httpHandler, ok } from '#shared/http.ts';
import { getMeRoute } from './platform.routes.ts';

export const handler = httpHandler(getMeRoute, ({ principal }) => ok(principal));
