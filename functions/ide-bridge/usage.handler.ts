import { httpHandler, ok } from '#shared/http.ts';
import { usageRoute } from './ide-bridge.manifest.ts';
import { idePorts } from './ide.composition.ts';
import { usage } from './ide.service.ts';

export const handler = httpHandler(usageRoute, async ({ principal, query }) => ok(await usage(idePorts(), principal, query)));
