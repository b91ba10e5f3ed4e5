import { httpHandler, ok } from '#shared/http.ts';
import { updateMcpServerRoute } from '../protocols.manifest.ts';
import { mcpServers } from './mcp-servers.composition.ts';

export const handler = httpHandler(updateMcpServerRoute, async ({ principal, params, body }) =>
  ok(await (await mcpServers()).update(principal, params.serverId, body)),
);
