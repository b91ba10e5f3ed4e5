import { httpHandler, ok } from '#shared/http.ts';
import { getProtocolMethodRoute } from '../protocols.manifest.ts';
import { registryPorts } from './registry.composition.ts';
import { getMethod } from './registry.service.ts';

export const handler = httpHandler(getProtocolMethodRoute, async ({ params, query }) =>
  ok(await getMethod(registryPorts(), { protocolId: params.protocolId, method: params.method, version: query.version })),
);
