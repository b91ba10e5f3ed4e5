/**
 * What the platform offers an MCP client, built per request for one principal: tools (agents, executions,
 * and whatever other areas add through `McpTool`), resources (`mls://agents/{agentId}`,
 * `mls://executions/{executionId}`) and prompts (each agent's system prompt). Every call goes through the same
 * use cases as REST with the caller's principal, so tenant, role and validation rules are REST's: another
 * tenant's agent is "not found", a viewer cannot run, a bad id is named like a bad REST field.
 *
 * Failures a caller can act on (validation, not found, forbidden, conflict) come back as tool results with
 * `isError` and the problem document as text, as MCP wants tool errors reported; anything unexpected is
 * logged and answered with a generic message, never a stack trace.
 */
import { McpServer, ProtocolError, ProtocolErrorCode, ResourceNotFoundError, ResourceTemplate } from '@modelcontextprotocol/server';
import type { CallToolResult, GetPromptResult, ListPromptsResult } from '@modelcontextprotocol/server';
import * as z from 'zod';
import type { AgentView, ExecutionView } from '#functions/agents/agents.public.ts';
import { ForbiddenError, NotFoundError, ValidationError, toProblem } from '#shared/errors.ts';
import type { Principal, Role } from '#shared/principal.ts';
import { unsafeStrings } from '#shared/stored-json.ts';
import type { McpTool } from './mcp-tool.ts';

export const MCP_SERVER_INFO = { name: 'multimodal-llm-stack', version: '1.0.0' } as const;

/** Agents shown as resources and prompts: one page, as large as REST allows. */
export const MAX_LISTED_AGENTS = 100;

const INSTRUCTIONS =
  'Multimodal LLM Stack: list your agents (list_agents), run one and get its answer (run_agent waits a bounded ' +
  'time, then returns the execution id to follow with get_execution), cancel or approve runs. Agents and ' +
  "executions are also resources (mls://agents/{agentId}, mls://executions/{executionId}); each agent's system " +
  'prompt is a prompt named after the agent id.';

/** The agent reads the resources and prompts need (the agents domain's use cases, with their role rules). */
export interface AgentReader {
  listAgents(principal: Principal, query: { limit: number; cursor?: string | undefined }): Promise<{ items: AgentView[]; nextCursor: string | null }>;
  getAgent(principal: Principal, agentId: string): Promise<AgentView>;
  getExecution(principal: Principal, executionId: string): Promise<ExecutionView>;
  listSteps(principal: Principal, executionId: string, limit: number, cursor?: string): Promise<{ items: unknown[]; nextCursor: string | null }>;
}

export interface McpSurfacePorts {
  tools: ReadonlyArray<McpTool>;
  agents: AgentReader;
  /** Roles for reading agents and executions (the REST routes'). */
  readRoles: { agents?: ReadonlyArray<Role> | undefined; executions?: ReadonlyArray<Role> | undefined };
  onUnexpectedError: (message: string, error: unknown) => void;
}

export const requireRole = (principal: Principal, roles: ReadonlyArray<Role> | undefined, what: string): void => {
  if (roles && !roles.some((role) => principal.roles.includes(role))) {
    throw new ForbiddenError(`${what} needs one of the roles: ${roles.join(', ')}`);
  }
};

const jsonText = (value: unknown): string => JSON.stringify(value, null, 2);

/** An AppError as a tool error result: the problem document a REST caller would get, as text. */
const toolError = (error: unknown, tool: string, onUnexpected: McpSurfacePorts['onUnexpectedError']): CallToolResult => {
  const { problem, expose } = toProblem(error);
  if (!expose) onUnexpected(`MCP tool ${tool} failed`, error);
  return { isError: true, content: [{ type: 'text', text: jsonText(problem) }] };
};

const toolResult = (value: Record<string, unknown>): CallToolResult => ({
  content: [{ type: 'text', text: jsonText(value) }],
  structuredContent: value,
});

/**
 * Resource reads and prompt gets answer JSON-RPC errors, not results: not found is the SDK's resource-not-found
 * (-32602 with the URI), bad input and missing roles are invalid params, anything else is logged.
 */
const protocolError = (error: unknown, uri: string | undefined, onUnexpected: McpSurfacePorts['onUnexpectedError']): Error => {
  if (error instanceof ProtocolError) return error;
  if (error instanceof NotFoundError && uri !== undefined) return new ResourceNotFoundError(uri, error.message);
  const { problem, expose } = toProblem(error);
  if (!expose) {
    onUnexpected('MCP request failed', error);
    return new ProtocolError(ProtocolErrorCode.InternalError, problem.detail);
  }
  return new ProtocolError(ProtocolErrorCode.InvalidParams, problem.detail, {
    status: problem.status,
    ...(problem.errors && { errors: problem.errors }),
  });
};

const agentUri = (agentId: string) => `mls://agents/${agentId}`;
const executionUri = (executionId: string) => `mls://executions/${executionId}`;

const agentIdShape = /^agt_[A-Za-z0-9_-]{8,64}$/;
const executionIdShape = /^exe_[A-Za-z0-9_-]{8,64}$/;

/** A URI variable as one string (a template variable may come back as a list). */
const variable = (value: string | string[] | undefined): string => (Array.isArray(value) ? (value[0] ?? '') : (value ?? ''));

const promptArgs = z.object({
  input: z.string().max(100_000).optional().describe('A first user message to send after the system prompt'),
});

/** Builds the per-request MCP server for one principal. Cheap: registration only, no I/O. */
export const buildMcpServer = (principal: Principal, ports: McpSurfacePorts): McpServer => {
  const server = new McpServer(MCP_SERVER_INFO, {
    instructions: INSTRUCTIONS,
    capabilities: { tools: {}, resources: {}, prompts: {} },
  });
  const onUnexpected = ports.onUnexpectedError;

  for (const tool of ports.tools) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description + (tool.roles ? ` Needs one of the roles: ${tool.roles.join(', ')}.` : ''),
        inputSchema: tool.input,
        annotations: { readOnlyHint: tool.readOnly, destructiveHint: false, openWorldHint: false },
      },
      async (args: Record<string, unknown>, ctx) => {
        try {
          requireRole(principal, tool.roles, tool.name);
          // zod takes NUL and lone surrogates, which PostgreSQL refuses: refused here as REST refuses them.
          const unsafe = unsafeStrings(args, ['arguments']);
          if (unsafe.length > 0) throw new ValidationError(`${unsafe.length} invalid field(s): ${unsafe.map((e) => e.path).join(', ')}`, unsafe);
          return toolResult(await tool.run(principal, args, ctx.mcpReq.signal));
        } catch (error) {
          return toolError(error, tool.name, onUnexpected);
        }
      },
    );
  }

  // Agents: listed (one page) and readable; executions: readable by id (there are too many to list).
  server.registerResource(
    'agent',
    new ResourceTemplate('mls://agents/{agentId}', {
      list: async () => {
        try {
          requireRole(principal, ports.readRoles.agents, 'Listing agents');
          const page = await ports.agents.listAgents(principal, { limit: MAX_LISTED_AGENTS });
          return {
            resources: page.items.map((agent) => ({
              uri: agentUri(agent.agentId),
              name: agent.name,
              title: agent.name,
              description: agent.description || `Agent ${agent.agentId} (version ${agent.version})`,
              mimeType: 'application/json',
            })),
          };
        } catch (error) {
          throw protocolError(error, undefined, onUnexpected);
        }
      },
    }),
    { title: 'Agent', description: 'An agent definition (GET /v1/agents/{agentId})', mimeType: 'application/json' },
    async (uri, variables) => {
      try {
        const agentId = variable(variables.agentId);
        if (!agentIdShape.test(agentId)) throw new NotFoundError(`No agent ${agentId}`);
        requireRole(principal, ports.readRoles.agents, 'Reading agents');
        const agent = await ports.agents.getAgent(principal, agentId);
        return { contents: [{ uri: uri.href, mimeType: 'application/json', text: jsonText(agent) }] };
      } catch (error) {
        throw protocolError(error, uri.href, onUnexpected);
      }
    },
  );
  server.registerResource(
    'execution',
    new ResourceTemplate('mls://executions/{executionId}', { list: undefined }),
    { title: 'Execution', description: 'An execution with its steps (GET /v1/executions/{executionId} and /steps)', mimeType: 'application/json' },
    async (uri, variables) => {
      try {
        const executionId = variable(variables.executionId);
        if (!executionIdShape.test(executionId)) throw new NotFoundError(`No execution ${executionId}`);
        requireRole(principal, ports.readRoles.executions, 'Reading executions');
        const execution = await ports.agents.getExecution(principal, executionId);
        const steps = await ports.agents.listSteps(principal, executionId, 100);
        return {
          contents: [{ uri: executionUri(executionId), mimeType: 'application/json', text: jsonText({ ...execution, steps: steps.items }) }],
        };
      } catch (error) {
        throw protocolError(error, uri.href, onUnexpected);
      }
    },
  );

  // Prompts are the tenant's agents, so they are looked up per request rather than registered one by one.
  const listPrompts = async (): Promise<ListPromptsResult> => {
    try {
      requireRole(principal, ports.readRoles.agents, 'Listing agents');
      const page = await ports.agents.listAgents(principal, { limit: MAX_LISTED_AGENTS });
      return {
        prompts: page.items.map((agent) => ({
          name: agent.agentId,
          title: agent.name,
          description: `The system prompt of agent "${agent.name}"${agent.description ? `: ${agent.description}` : ''}`,
          arguments: [{ name: 'input', description: 'A first user message to send after the system prompt', required: false }],
        })),
      };
    } catch (error) {
      throw protocolError(error, undefined, onUnexpected);
    }
  };
  const getPrompt = async (name: string, rawArgs: unknown): Promise<GetPromptResult> => {
    try {
      const args = promptArgs.safeParse(rawArgs ?? {});
      if (!args.success) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Invalid arguments for prompt ${name}: ${args.error.message}`);
      if (!agentIdShape.test(name)) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `No prompt ${name}: prompts are named after agent ids`);
      requireRole(principal, ports.readRoles.agents, 'Reading agents');
      const agent = await ports.agents.getAgent(principal, name);
      return {
        description: `The system prompt of agent "${agent.name}" (version ${agent.version})`,
        messages: [
          // MCP prompts have user and assistant messages only; the system prompt travels as the first user message.
          { role: 'user', content: { type: 'text', text: agent.systemPrompt } },
          ...(args.data.input ? [{ role: 'user' as const, content: { type: 'text' as const, text: args.data.input } }] : []),
        ],
      };
    } catch (error) {
      if (error instanceof NotFoundError) throw new ProtocolError(ProtocolErrorCode.InvalidParams, error.message);
      throw protocolError(error, undefined, onUnexpected);
    }
  };
  server.server.setRequestHandler('prompts/list', () => listPrompts());
  server.server.setRequestHandler('prompts/get', (request) => getPrompt(request.params.name, request.params.arguments));
  return server;
};
