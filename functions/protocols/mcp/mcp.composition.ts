/**
 * The MCP endpoint wired once per cold start: the agents domain's use cases (agents.public.ts), the IDE
 * bridge's (ide-bridge.public.ts) and this domain's registry (validate, translate), behind the SDK's
 * Streamable HTTP serving (mcp-http.adapter.ts).
 */
import { agentUseCaseRoles, agentUseCases } from '#functions/agents/agents.public.ts';
import { ideUseCaseRoles, ideUseCases } from '#functions/ide-bridge/ide-bridge.public.ts';
import { logger } from '#shared/observability.ts';
import { agentTools } from './agent.tools.ts';
import { codeTools } from './code.tools.ts';
import { protocolTools } from './protocol.tools.ts';
import { createMcpEndpoint, type McpEndpoint } from './mcp-http.adapter.ts';
import { buildMcpServer, type McpSurfacePorts } from './mcp-surface.service.ts';
import type { McpTool } from './mcp-tool.ts';

let ports: McpSurfacePorts | undefined;

export const mcpSurfacePorts = (): McpSurfacePorts => {
  if (ports) return ports;
  const agents = agentUseCases();
  const tools: McpTool[] = [
    ...agentTools({ agents, roles: agentUseCaseRoles }),
    ...codeTools({ ide: ideUseCases(), roles: ideUseCaseRoles }),
    ...protocolTools(),
  ];
  ports = {
    tools,
    agents,
    readRoles: { agents: agentUseCaseRoles.getAgent, executions: agentUseCaseRoles.getExecution },
    onUnexpectedError: (message, error) => logger.error(message, error as Error),
  };
  return ports;
};

let endpoint: McpEndpoint | undefined;

export const mcpEndpoint = (): McpEndpoint =>
  (endpoint ??= createMcpEndpoint(
    (principal) => buildMcpServer(principal, mcpSurfacePorts()),
    // The SDK reports requests it rejected (bad envelopes, unknown revisions): the client got its error already.
    (error) => logger.info('MCP request rejected', { reason: error.message }),
  ));
