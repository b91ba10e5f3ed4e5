import { httpHandler, ok } from '#shared/http.ts';
import { analyzeRoute } from './ide-bridge.manifest.ts';
import { idePorts } from './ide.composition.ts';
import { analyze } from './ide.service.ts';

export const handler = httpHandler(analyzeRoute, async ({ principal, body }) => ok(await analyze(idePorts(), principal, body)));
