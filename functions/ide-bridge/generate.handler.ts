import { httpHandler, ok } from '#shared/http.ts';
import { generateRoute } from './ide-bridge.manifest.ts';
import { idePorts } from './ide.composition.ts';
import { generate } from './ide.service.ts';

export const handler = httpHandler(generateRoute, async ({ principal, body }) => ok(await generate(idePorts(), principal, body)));
