import { httpHandler, ok } from '#shared/http.ts';
import { listMcpServerToolsRoute } from '../protocols.manifest.ts';
import { mcpServers } from './mcp-servers.composition.ts';

export const handler = httpHandler(listMcpServerToolsRoute, async ({ principal, params }) =>
  ok(await (await mcpServers()).remoteTools(principal, params.serverId)),
);
