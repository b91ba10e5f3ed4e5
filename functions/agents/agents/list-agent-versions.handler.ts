import { httpHandler, ok } from '#shared/http.ts';
import { listAgentVersionsRoute } from '../agents.routes.ts';
import { agents } from './agents.adapters.ts';
import { listAgentVersions } from './agent.service.ts';

export const handler = httpHandler(listAgentVersionsRoute, async ({ principal, params, query }) =>
  ok(await listAgentVersions(await agents(), principal, params.agentId, query)),
);
