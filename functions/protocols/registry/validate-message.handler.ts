import { httpHandler, ok } from '#shared/http.ts';
import { validateMessageRoute } from '../protocols.manifest.ts';
import { registryPorts } from './registry.composition.ts';
import { validateMessage } from './registry.service.ts';

export const handler = httpHandler(validateMessageRoute, async ({ body }) => ok(await validateMessage(registryPorts(), body)));
