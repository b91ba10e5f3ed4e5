import { created, httpHandler } from '#shared/http.ts';
import { createAgentRoute } from '../agents.routes.ts';
import { inTransaction } from './agents.adapters.ts';
import { toolCatalog } from './tool-catalog.adapters.ts';
import { createAgent } from './agent.service.ts';

export const handler = httpHandler(createAgentRoute, async ({ principal, body }) => {
  const agent = await createAgent(inTransaction, toolCatalog(), principal, body);
  return { ...created(agent), headers: { ETag: `"${agent.version}"` } };
});
