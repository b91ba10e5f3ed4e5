import { httpHandler, ok } from '#shared/http.ts';
import { getMeRoute } from './platform.manifest.ts';

export const handler = httpHandler(getMeRoute, ({ principal }) => ok(principal));
