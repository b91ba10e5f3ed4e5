import { created, httpHandler } from '#shared/http.ts';
import { createAgentRoute } from '../agents.manifest.ts';
import { inTransaction } from './definitions.composition.ts';
import { toolCatalog } from '../tools/tools.composition.ts';
import { createAgent } from './agent.service.ts';

export const handler = httpHandler(createAgentRoute, async ({ principal, body }) => {
  const agent = await createAgent(inTransaction, toolCatalog(), principal, body);
  return { ...created(agent), headers: { ETag: `"${agent.version}"` } };
});
