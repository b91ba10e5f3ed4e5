/**
 * Request and response shapes of `/v1/mcp-servers`: a tenant's remote MCP servers that its agents may use.
 * The same schemas validate requests and feed the OpenAPI document. The auth header's value is write-only:
 * accepted on create and update, never returned.
 */
import * as z from 'zod';
import { idSchema } from '#shared/ids.ts';
import { listQuery as sharedListQuery, pageSchema } from '#shared/pagination.ts';

const timestamp = z.iso.datetime({ offset: true });

export const listQuery = sharedListQuery;

export const serverId = idSchema('mcs', 'an MCP server');
export const serverIdParams = z.object({ serverId });

/** What an agent lists among its tools to get this server's tools. */
export const MCP_TOOL_REF_PREFIX = 'mcp:';

export const MIN_TIMEOUT_SECONDS = 1;
/** Inside the run-tool task's 60 s Lambda timeout, with room to record the result. */
export const MAX_TIMEOUT_SECONDS = 45;
export const DEFAULT_TIMEOUT_SECONDS = 30;

const name = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'Lower-case letters, digits and "-", 1-32 characters, starting with a letter or digit')
  .meta({ description: "Unique in the tenant; prefixes the server's tools for the model (`<name>__<tool>`)", example: 'github' });

const url = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .refine((u) => !/^[a-z]+:\/\/[^/]*@/i.test(u), 'No credentials in the URL; use auth instead')
  .refine((u) => !u.includes('#'), 'No fragment')
  .meta({ description: "The server's Streamable HTTP endpoint", example: 'https://mcp.example.com/mcp' });

// Header names a server can use for credentials; the transport's own headers are not among them.
const reservedHeaders = new Set([
  'host',
  'content-type',
  'content-length',
  'accept',
  'connection',
  'mcp-session-id',
  'mcp-protocol-version',
  'mcp-method',
  'mcp-name',
]);

export const authInput = z
  .strictObject({
    header: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,64}$/, 'A header name (letters, digits, "-")')
      .refine((h) => !reservedHeaders.has(h.toLowerCase()), 'This header is set by the MCP transport itself')
      .default('Authorization'),
    value: z
      .string()
      .min(1)
      .max(4096)
      // Header values are one line of visible ASCII and spaces; anything else would be refused on send or smuggle a header.
      .regex(/^[\x20-\x7e]+$/, 'Visible ASCII characters and spaces only')
      .meta({ description: 'Sent as the header value on every request to the server (e.g. `Bearer …`); stored sealed, never returned' }),
  })
  .meta({ id: 'McpServerAuth' });

const toolPattern = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/, 'A tool name (visible ASCII, no spaces); `*` matches any characters');
const toolPatterns = z.array(toolPattern).max(200);

export const createMcpServerBody = z
  .strictObject({
    name,
    url,
    auth: authInput.optional(),
    allowTools: toolPatterns.nullable().default(null).meta({ description: 'Only these tools (names or `*` patterns); null: all' }),
    denyTools: toolPatterns.default([]).meta({ description: 'Never these tools (applied after allowTools)' }),
    enabled: z.boolean().default(true),
    timeoutSeconds: z.int().min(MIN_TIMEOUT_SECONDS).max(MAX_TIMEOUT_SECONDS).default(DEFAULT_TIMEOUT_SECONDS).meta({
      description: 'Upper bound for one tool call (and for listing tools)',
    }),
  })
  .meta({ id: 'CreateMcpServerRequest' });

export const updateMcpServerBody = z
  .strictObject({
    name: name.optional(),
    url: url.optional(),
    auth: authInput.nullable().optional().meta({ description: 'A new header and value; null removes it; absent keeps it' }),
    allowTools: toolPatterns.nullable().optional(),
    denyTools: toolPatterns.optional(),
    enabled: z.boolean().optional(),
    timeoutSeconds: z.int().min(MIN_TIMEOUT_SECONDS).max(MAX_TIMEOUT_SECONDS).optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'Give at least one field to change')
  .meta({ id: 'UpdateMcpServerRequest' });

export const mcpServer = z
  .object({
    serverId,
    name: z.string(),
    url: z.string(),
    auth: z
      .object({ header: z.string(), configured: z.literal(true) })
      .nullable()
      .meta({ description: 'The header name only; the value is never returned' }),
    allowTools: z.array(z.string()).nullable(),
    denyTools: z.array(z.string()),
    enabled: z.boolean(),
    timeoutSeconds: z.int(),
    toolRef: z.string().meta({ description: "What an agent lists in `tools` to use this server's tools", example: 'mcp:mcs_3kTMd9aQw0eR1xYz' }),
    version: z.int(),
    createdBy: z.string().nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'McpServer' });

export const mcpServerPage = pageSchema(mcpServer).meta({ id: 'McpServerPage' });

export const remoteTool = z
  .object({
    name: z.string().meta({ description: "The server's own name for the tool" }),
    modelName: z.string().meta({ description: 'The name the model sees (`<server name>__<tool>`)' }),
    description: z.string(),
    inputSchema: z.record(z.string(), z.unknown()),
    offered: z.boolean().meta({ description: 'False when allowTools/denyTools filter it out, or its schema is unusable' }),
    reason: z.string().optional(),
  })
  .meta({ id: 'McpRemoteTool' });

export const remoteToolList = z
  .object({
    serverId,
    protocolVersion: z.string().nullable(),
    items: z.array(remoteTool),
  })
  .meta({ id: 'McpRemoteToolList' });

export type CreateMcpServerInput = z.output<typeof createMcpServerBody>;
export type UpdateMcpServerInput = z.output<typeof updateMcpServerBody>;
export type McpServerView = z.output<typeof mcpServer>;
export type RemoteToolView = z.output<typeof remoteTool>;
