import { httpHandler, ok } from '#shared/http.ts';
import { listAgentsRoute } from '../agents.manifest.ts';
import { agents } from './definitions.composition.ts';
import { listAgents } from './agent.service.ts';

export const handler = httpHandler(listAgentsRoute, async ({ principal, query }) => ok(await listAgents(await agents(), principal, query)));
