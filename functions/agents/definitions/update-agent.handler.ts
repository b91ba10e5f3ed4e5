import { httpHandler, ok } from '#shared/http.ts';
import { updateAgentRoute } from '../agents.manifest.ts';
import { toolCatalog } from '../tools/tools.composition.ts';
import { expectedVersionFrom, updateAgent } from './agent.service.ts';
import { inTransaction } from './definitions.composition.ts';

export const handler = httpHandler(updateAgentRoute, async ({ principal, params, body, headers }) => {
  const expected = expectedVersionFrom(headers['if-match'], body.expectedVersion);
  const agent = await updateAgent(inTransaction, toolCatalog(), principal, params.agentId, body, expected);
  return { ...ok(agent), headers: { ETag: `"${agent.version}"` } };
});
