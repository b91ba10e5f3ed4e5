import { httpHandler, ok } from '#shared/http.ts';
import { inlineRoute } from './ide-bridge.manifest.ts';
import { idePorts } from './ide.composition.ts';
import { inline } from './ide.service.ts';

export const handler = httpHandler(inlineRoute, async ({ principal, body }) => ok(await inline(idePorts(), principal, body)));
