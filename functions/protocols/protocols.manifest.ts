/**
 * The protocols domain: the MCP endpoint (`/v1/mcp`, Streamable HTTP, stateless), the tenant's remote MCP
 * servers that agents may use (`/v1/mcp-servers`), and the protocol registry, validation and translation
 * (`/v1/protocols`). Each REST route is declared once with the function that answers it; handlers import
 * their route from here. The domain's nested stack (lib/) and the local runtime are built from this manifest.
 */
import { defineDomain, type Access, type HttpRoute, type RestEndpoint } from '#shared/manifest.types.ts';
import { oauthProtectedResource } from '#shared/resources.ts';
import * as s from './mcp-servers/mcp-servers.contracts.ts';
import * as r from './registry/registry.contracts.ts';
import * as c from './compat/compat.contracts.ts';
import * as t from './translate/translate.contracts.ts';

const fn = (folder: string, file: string): string => `functions/protocols/${folder}/${file}.handler.ts`;

// --- MCP endpoint --------------------------------------------------------------------------------------

const mcpTags = ['mcp'];

/**
 * What the MCP tools' use cases touch: the agents domain's executions (start: database, the agent state
 * machine, a HeadObject confirming an upload; cancel and decide publish execution events: the connections
 * table and @connections), and the IDE bridge's analyzers and model calls.
 */
const mcpAccess = {
  database: true,
  bucket: 'read',
  stateMachines: ['agent'],
  tables: { connections: 'readwrite' },
  websocketManagement: true,
  // The code tools (ide-bridge.public.ts): model calls with the deployment's keys.
  secrets: ['openaiApiKey', 'anthropicApiKey'],
  settings: ['openaiBaseUrl', 'anthropicBaseUrl', 'ideDefaultModel'],
} as const satisfies Access;

/** No body schema: the MCP SDK reads the JSON-RPC message, so protocol errors are JSON-RPC errors, not problem+json. */
export const mcpPostRoute = {
  method: 'POST',
  path: '/v1/mcp',
  summary: 'MCP Streamable HTTP endpoint: one JSON-RPC message per request, JSON responses, no session (MCP 2026-07-28 and 2025-11-25)',
  tags: mcpTags,
  responses: {
    200: { description: 'The JSON-RPC response (a result or a JSON-RPC error)' },
    202: { description: 'A notification or response was accepted' },
    400: { description: 'A JSON-RPC error: parse error (-32700), invalid request (-32600, e.g. a batch), bad protocol envelope (-32602)' },
  },
} satisfies HttpRoute;

export const mcpGetRoute = {
  method: 'GET',
  path: '/v1/mcp',
  summary: 'Always 405 (Allow: POST): the endpoint is stateless and opens no SSE stream',
  tags: mcpTags,
  responses: { 405: { description: 'Method not allowed' } },
} satisfies HttpRoute;

export const mcpDeleteRoute = {
  method: 'DELETE',
  path: '/v1/mcp',
  summary: 'Always 405 (Allow: POST): the endpoint keeps no session to end',
  tags: mcpTags,
  responses: { 405: { description: 'Method not allowed' } },
} satisfies HttpRoute;

export const protectedResourceRoute = {
  method: 'GET',
  path: oauthProtectedResource.metadataPath,
  auth: 'none',
  summary: "The MCP endpoint's OAuth protected-resource metadata (RFC 9728); 404 unless an OIDC issuer is configured",
  tags: mcpTags,
  responses: { 200: { description: 'resource, authorization_servers, bearer_methods_supported' }, 404: { description: 'No OIDC issuer configured' } },
  lambda: {
    name: 'mcp-protected-resource',
    entry: fn('mcp', 'protected-resource'),
    description: 'OAuth protected-resource metadata of /v1/mcp (RFC 9728)',
    access: { settings: ['oidcIssuer'] },
  },
} satisfies RestEndpoint;

// --- remote MCP servers ---------------------------------------------------------------------------------

const writers = ['admin', 'developer'] as const;
const serverTags = ['mcp-servers'];
/** Sealing and opening auth header values (the credentials key), and checking URLs against the allowed hosts. */
const serverAccess = { database: true, secrets: ['credentialsKey'], settings: ['mcpServerAllowedHosts'] } as const satisfies Access;

export const createMcpServerRoute = {
  method: 'POST',
  path: '/v1/mcp-servers',
  roles: writers,
  summary: "Register a remote MCP server for the tenant's agents (its auth header value is stored sealed and never returned)",
  tags: serverTags,
  request: { body: s.createMcpServerBody },
  responses: { 201: { description: 'Registered', schema: s.mcpServer }, 409: { description: 'The name is taken in this tenant' } },
  lambda: { name: 'create-mcp-server', entry: fn('mcp-servers', 'create-mcp-server'), access: serverAccess },
} satisfies RestEndpoint;

export const listMcpServersRoute = {
  method: 'GET',
  path: '/v1/mcp-servers',
  summary: "The tenant's MCP servers (oldest first)",
  tags: serverTags,
  request: { query: s.listQuery },
  responses: { 200: { description: 'Page of servers', schema: s.mcpServerPage } },
  lambda: { name: 'list-mcp-servers', entry: fn('mcp-servers', 'list-mcp-servers'), access: { database: true } },
} satisfies RestEndpoint;

export const getMcpServerRoute = {
  method: 'GET',
  path: '/v1/mcp-servers/{serverId}',
  summary: 'An MCP server (the auth header name only)',
  tags: serverTags,
  request: { params: s.serverIdParams },
  responses: { 200: { description: 'The server', schema: s.mcpServer } },
  lambda: { name: 'get-mcp-server', entry: fn('mcp-servers', 'get-mcp-server'), access: { database: true } },
} satisfies RestEndpoint;

export const updateMcpServerRoute = {
  method: 'PATCH',
  path: '/v1/mcp-servers/{serverId}',
  roles: writers,
  summary: 'Change some fields of an MCP server (auth: a new header and value, or null to remove it)',
  tags: serverTags,
  request: { params: s.serverIdParams, body: s.updateMcpServerBody },
  responses: { 200: { description: 'The updated server', schema: s.mcpServer }, 409: { description: 'The name is taken in this tenant' } },
  lambda: { name: 'update-mcp-server', entry: fn('mcp-servers', 'update-mcp-server'), access: serverAccess },
} satisfies RestEndpoint;

export const deleteMcpServerRoute = {
  method: 'DELETE',
  path: '/v1/mcp-servers/{serverId}',
  roles: writers,
  summary: 'Remove an MCP server (agents that list it lose its tools; their runs go on without them)',
  tags: serverTags,
  request: { params: s.serverIdParams },
  responses: { 204: { description: 'Removed' } },
  lambda: { name: 'delete-mcp-server', entry: fn('mcp-servers', 'delete-mcp-server'), access: { database: true } },
} satisfies RestEndpoint;

export const listMcpServerToolsRoute = {
  method: 'GET',
  path: '/v1/mcp-servers/{serverId}/tools',
  summary: "Ask the server for its tools now: their names as agents' models see them, and which the filters keep out",
  tags: serverTags,
  request: { params: s.serverIdParams },
  responses: {
    200: { description: 'The tools', schema: s.remoteToolList },
    422: { description: "The outbound rules refuse the server's address" },
    502: { description: 'The server failed or answered something that is not MCP' },
    504: { description: 'The server did not answer within its timeout' },
  },
  lambda: {
    name: 'list-mcp-server-tools',
    entry: fn('mcp-servers', 'list-mcp-server-tools'),
    access: serverAccess,
    // The server's own timeout is at most 45 s; API Gateway ends the request at 29 s.
    timeoutSeconds: 30,
  },
} satisfies RestEndpoint;

// --- protocol registry, validation -------------------------------------------------------------------

const registryTags = ['protocols'];

export const listProtocolsRoute = {
  method: 'GET',
  path: '/v1/protocols',
  summary:
    'The protocols the platform speaks (LSP 3.18, MCP 2026-07-28 and 2025-11-25, REST v1): versions and methods, with their schemas on request',
  tags: registryTags,
  request: { query: r.listProtocolsQuery },
  responses: { 200: { description: 'The protocols', schema: r.protocolList } },
  lambda: { name: 'list-protocols', entry: fn('registry', 'list-protocols'), access: {}, memoryMb: 1024 },
} satisfies RestEndpoint;

export const getProtocolMethodRoute = {
  method: 'GET',
  path: '/v1/protocols/{protocolId}/methods/{method}',
  summary: 'One method of a protocol with its params and result JSON Schemas (the method name URL-encoded: textDocument%2Fhover)',
  tags: registryTags,
  request: { params: r.methodParams, query: r.methodQuery },
  responses: { 200: { description: 'The method', schema: r.methodSchemas } },
  lambda: { name: 'get-protocol-method', entry: fn('registry', 'get-protocol-method'), access: {}, memoryMb: 1024 },
} satisfies RestEndpoint;

export const validateMessageRoute = {
  method: 'POST',
  path: '/v1/protocols/validate',
  readOnly: true,
  summary: "Validate one LSP, MCP or REST message against the protocol's schemas: valid, and each error with its JSON Pointer",
  tags: registryTags,
  request: { body: r.validateBody },
  responses: { 200: { description: 'Whether the message is valid, and why not', schema: r.validateResponse } },
  lambda: { name: 'validate-protocol-message', entry: fn('registry', 'validate-message'), access: {}, memoryMb: 1024 },
} satisfies RestEndpoint;

export const translateMessageRoute = {
  method: 'POST',
  path: '/v1/protocols/translate',
  readOnly: true,
  summary:
    'Translate one message between LSP, MCP and REST: LSP requests <-> MCP tools/call <-> REST calls, and their results back (positions converted)',
  tags: registryTags,
  request: { body: t.translateBody },
  responses: {
    200: { description: 'The message in the target protocol', schema: t.translateResponse },
    422: { description: 'The message has no mapping to the target protocol (the problem names the method)' },
  },
  lambda: { name: 'translate-protocol-message', entry: fn('translate', 'translate'), access: {}, memoryMb: 1024 },
} satisfies RestEndpoint;

export const compatRoute = {
  method: 'POST',
  path: '/v1/protocols/compat',
  readOnly: true,
  roles: writers,
  summary: 'Probe a remote MCP server as a client would (each revision it speaks, lists, ping, errors) and report every check with its evidence',
  tags: registryTags,
  request: { body: c.compatBody },
  responses: {
    200: { description: 'The report (a server that fails checks is still a 200: the report says what failed)', schema: c.compatReport },
    422: { description: "The outbound rules refuse the server's address" },
  },
  lambda: {
    name: 'protocol-compat',
    entry: fn('compat', 'compat'),
    access: { settings: ['mcpServerAllowedHosts'] },
    // The report spends at most 24 s; API Gateway ends the request at 29 s.
    timeoutSeconds: 30,
  },
} satisfies RestEndpoint;

export const protocolsManifest = defineDomain({
  domain: 'protocols',
  endpoints: [
    protectedResourceRoute,
    createMcpServerRoute,
    listMcpServersRoute,
    getMcpServerRoute,
    updateMcpServerRoute,
    deleteMcpServerRoute,
    listMcpServerToolsRoute,
    listProtocolsRoute,
    getProtocolMethodRoute,
    validateMessageRoute,
    translateMessageRoute,
    compatRoute,
  ],
  functions: [
    {
      name: 'mcp',
      entry: fn('mcp', 'mcp'),
      description: 'The MCP endpoint (Streamable HTTP, stateless, JSON): agents, executions and code tools for MCP clients',
      http: [mcpPostRoute, mcpGetRoute, mcpDeleteRoute],
      access: mcpAccess,
      // run_agent waits up to 25 s for an answer; API Gateway ends the request at 29 s anyway.
      timeoutSeconds: 30,
      // The code tools run the IDE bridge's analyzers: their layer, and the memory (and CPU) they want.
      layers: ['ideAnalyzers'],
      memoryMb: 2048,
    },
  ],
});
