import { httpHandler, ok } from '#shared/http.ts';
import { explainRoute } from './ide-bridge.manifest.ts';
import { idePorts } from './ide.composition.ts';
import { explain } from './ide.service.ts';

export const handler = httpHandler(explainRoute, async ({ principal, body }) => ok(await explain(idePorts(), principal, body)));
