import { headerOf } from '#shared/headers.ts';
import { httpHandler, ok } from '#shared/http.ts';
import { updateAgentRoute } from '../agents.routes.ts';
import { inTransaction } from './agents.adapters.ts';
import { toolCatalog } from './tool-catalog.adapters.ts';
import { expectedVersionFrom, updateAgent } from './agent.service.ts';

export const handler = httpHandler(updateAgentRoute, async ({ principal, params, body, event }) => {
  const expected = expectedVersionFrom(headerOf(event.headers, 'if-match'), body.expectedVersion);
  const agent = await updateAgent(inTransaction, toolCatalog(), principal, params.agentId, body, expected);
  return { ...ok(agent), headers: { ETag: `"${agent.version}"` } };
});
