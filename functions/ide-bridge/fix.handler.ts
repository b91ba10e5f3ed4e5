import { httpHandler, ok } from '#shared/http.ts';
import { fixRoute } from './ide-bridge.manifest.ts';
import { idePorts } from './ide.composition.ts';
import { fix } from './ide.service.ts';

export const handler = httpHandler(fixRoute, async ({ principal, body }) => ok(await fix(idePorts(), principal, body)));
