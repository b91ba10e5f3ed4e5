/**
 * The protocols domain's public surface: what other domains may import from it, and nothing else.
 * - `mcpToolsFor(tenantId, serverIds)`: the tools of a tenant's remote MCP servers for an agent that lists
 *   them (`mcp:<serverId>` among its tools): `list()` gives the definitions for the model (names
 *   `<server name>__<tool>`), `call()` runs one; failures are results the model reads, never exceptions.
 * - `mcpServerRefs`: which of an agent's tool entries name MCP servers, and which of those do not exist.
 * A function that lists or calls needs `database: true`, `secrets: ['credentialsKey']` and
 * `settings: ['mcpServerAllowedHosts']` (opening auth headers, checking addresses).
 * Each is built lazily: importing this module opens nothing.
 */
import { MCP_TOOL_REF_PREFIX } from './mcp-servers/mcp-servers.contracts.ts';
import type { RemoteCallResult, RemoteFailureType } from './mcp-servers/mcp-server.ts';
import type { McpToolset } from './mcp-servers/mcp-servers.service.ts';

export { MCP_TOOL_REF_PREFIX };
export type { McpToolset, RemoteCallResult as McpCallResult, RemoteFailureType as McpFailureType };

/**
 * LSP requests as MCP tools (names, argument schemas with 1-based positions, conversions both ways): the table
 * behind `POST /v1/protocols/translate`, for `mls mcp-lsp` and anything else that serves a language server
 * over MCP. Pure data and functions: importing it opens nothing.
 */
export {
  argumentsToParams,
  errorToToolResult,
  LSP_TOOLS,
  paramsToArguments,
  positionsToLsp,
  positionsToMcp,
  resultToToolResult,
  toolResultToLsp,
  type LspTool,
  type ToolResult as LspToolResult,
} from './translate/lsp-tools.ts';

const SERVER_REF = /^mcp:(mcs_[A-Za-z0-9_-]{8,64})$/;

// Loaded on first use: the functions that import this module only to recognise references (the tool catalog,
// agent create and update) then carry no MCP client code into their cold start.
const mcpServers = async () => (await import('./mcp-servers/mcp-servers.composition.ts')).mcpServers();

export const mcpServerRefs = {
  /** True for an agent tool entry that names an MCP server (`mcp:<serverId>`), well-formed or not. */
  isRef: (entry: string): boolean => entry.startsWith(MCP_TOOL_REF_PREFIX),
  /** The server ids an agent's tool list names (malformed `mcp:` entries are left out). */
  serverIds: (entries: readonly string[]): string[] => entries.flatMap((entry) => SERVER_REF.exec(entry)?.[1] ?? []),
  /** Whether a tool name a model used is an MCP server's tool (`<server name>__<tool>`). */
  isToolName: (name: string): boolean => /^[a-z0-9][a-z0-9-]{0,31}__./.test(name),
  /** The `mcp:` entries that name no server of the tenant (malformed ones included), for the agent's validation. */
  unknown: async (tenantId: string, entries: readonly string[]): Promise<string[]> => {
    const refs = entries.filter((e) => e.startsWith(MCP_TOOL_REF_PREFIX));
    const malformed = refs.filter((e) => !SERVER_REF.test(e));
    const ids = refs.flatMap((e) => SERVER_REF.exec(e)?.[1] ?? []);
    const missing = ids.length > 0 ? new Set(await (await mcpServers()).unknown(tenantId, ids)) : new Set<string>();
    return [...malformed, ...ids.filter((id) => missing.has(id)).map((id) => `${MCP_TOOL_REF_PREFIX}${id}`)];
  },
};

export interface McpTools {
  /** The definitions for the model, and the servers that could not contribute (gone, disabled, failing). */
  list(signal?: AbortSignal): Promise<McpToolset>;
  /** Calls the tool the model named; each server's own timeout bounds it. */
  call(name: string, args: unknown, signal?: AbortSignal): Promise<RemoteCallResult>;
}

export const mcpToolsFor = (tenantId: string, serverIds: readonly string[]): McpTools => ({
  list: async (signal) => (serverIds.length === 0 ? { tools: [], unavailable: [] } : (await mcpServers()).toolsFor(tenantId, serverIds, signal)),
  call: async (name, args, signal) => (await mcpServers()).call(tenantId, serverIds, name, args, signal),
});
