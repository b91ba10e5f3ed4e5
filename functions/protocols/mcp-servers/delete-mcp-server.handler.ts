import { httpHandler, noContent } from '#shared/http.ts';
import { deleteMcpServerRoute } from '../protocols.manifest.ts';
import { mcpServers } from './mcp-servers.composition.ts';

export const handler = httpHandler(deleteMcpServerRoute, async ({ principal, params }) => {
  await (await mcpServers()).delete(principal, params.serverId);
  return noContent();
});
