import { httpHandler, ok } from '#shared/http.ts';
import { listAgentsRoute } from '../agents.routes.ts';
import { agents } from './agents.adapters.ts';
import { listAgents } from './agent.service.ts';

export const handler = httpHandler(listAgentsRoute, async ({ principal, query }) => ok(await listAgents(await agents(), principal, query)));
