import { httpHandler, ok } from '#shared/http.ts';
import { listMcpServersRoute } from '../protocols.manifest.ts';
import { mcpServers } from './mcp-servers.composition.ts';

export const handler = httpHandler(listMcpServersRoute, async ({ principal, query }) => ok(await (await mcpServers()).list(principal, query)));
