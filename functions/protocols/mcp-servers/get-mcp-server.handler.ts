import { httpHandler, ok } from '#shared/http.ts';
import { getMcpServerRoute } from '../protocols.manifest.ts';
import { mcpServers } from './mcp-servers.composition.ts';

export const handler = httpHandler(getMcpServerRoute, async ({ principal, params }) =>
  ok(await (await mcpServers()).get(principal, params.serverId)),
);
