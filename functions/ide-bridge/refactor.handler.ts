import { httpHandler, ok } from '#shared/http.ts';
import { refactorRoute } from './ide-bridge.manifest.ts';
import { idePorts } from './ide.composition.ts';
import { refactor } from './ide.service.ts';

export const handler = httpHandler(refactorRoute, async ({ principal, body }) => ok(await refactor(idePorts(), principal, body)));
