import { httpHandler, ok } from '#shared/http.ts';
import { compatRoute } from '../protocols.manifest.ts';
import { compatPorts } from './compat.composition.ts';
import { runCompat } from './compat.service.ts';

export const handler = httpHandler(compatRoute, async ({ body }) => ok(await runCompat(compatPorts(body), { url: body.url })));
