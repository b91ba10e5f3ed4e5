import { created, httpHandler } from '#shared/http.ts';
import { createMcpServerRoute } from '../protocols.manifest.ts';
import { mcpServers } from './mcp-servers.composition.ts';

export const handler = httpHandler(createMcpServerRoute, async ({ principal, body }) => created(await (await mcpServers()).create(principal, body)));
