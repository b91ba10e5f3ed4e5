import { httpHandler, ok } from '#shared/http.ts';
import { completeRoute } from './ide-bridge.manifest.ts';
import { idePorts } from './ide.composition.ts';
import { complete } from './ide.service.ts';

export const handler = httpHandler(completeRoute, async ({ principal, body }) => ok(await complete(idePorts(), principal, body)));
