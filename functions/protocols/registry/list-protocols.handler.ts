import { httpHandler, ok } from '#shared/http.ts';
import { listProtocolsRoute } from '../protocols.manifest.ts';
import { registryPorts } from './registry.composition.ts';
import { listProtocols } from './registry.service.ts';

export const handler = httpHandler(listProtocolsRoute, async ({ query }) =>
  ok({ items: await listProtocols(registryPorts(), { includeSchemas: query.include === 'schemas' }) }),
);
