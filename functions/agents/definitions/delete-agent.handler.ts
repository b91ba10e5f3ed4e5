import { httpHandler, noContent } from '#shared/http.ts';
import { deleteAgentRoute } from '../agents.manifest.ts';
import { agents } from './definitions.composition.ts';
import { deleteAgent } from './agent.service.ts';

/** Soft delete: the agent disappears from the API, its versions and executions stay for history. */
export const handler = httpHandler(deleteAgentRoute, async ({ principal, params }) => {
  await deleteAgent(await agents(), principal, params.agentId);
  return noContent();
});
