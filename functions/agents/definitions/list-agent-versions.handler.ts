import { httpHandler, ok } from '#shared/http.ts';
import { listAgentVersionsRoute } from '../agents.manifest.ts';
import { agents } from './definitions.composition.ts';
import { listAgentVersions } from './agent.service.ts';

export const handler = httpHandler(listAgentVersionsRoute, async ({ principal, params, query }) =>
  ok(await listAgentVersions(await agents(), principal, params.agentId, query)),
);
