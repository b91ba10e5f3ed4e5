import { httpHandler, ok } from '#shared/http.ts';
import { getAgentRoute } from '../agents.manifest.ts';
import { agents } from './definitions.composition.ts';
import { getAgent } from './agent.service.ts';

/** The ETag is the version, so a client can send it back as If-Match on PATCH. */
export const handler = httpHandler(getAgentRoute, async ({ principal, params }) => {
  const agent = await getAgent(await agents(), principal, params.agentId);
  return { ...ok(agent), headers: { ETag: `"${agent.version}"` } };
});
