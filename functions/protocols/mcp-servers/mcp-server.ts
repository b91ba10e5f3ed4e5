/**
 * A tenant's remote MCP server, apart from storage and HTTP, with the ports its use cases take: the stored
 * records, the sealing of the auth header's value, the outbound URL policy, and the MCP client that talks to it.
 */
import type { CreatedAtPosition } from '#shared/pagination.ts';

export interface McpServerRecord {
  serverId: string;
  tenantId: string;
  name: string;
  url: string;
  authHeader: string | null;
  /** The auth header's value, sealed with the row's identity bound in; opened only to call the server. */
  authSealed: string | null;
  allowTools: string[] | null;
  denyTools: string[];
  enabled: boolean;
  timeoutMs: number;
  version: number;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type McpServerFields = Pick<
  McpServerRecord,
  'name' | 'url' | 'authHeader' | 'authSealed' | 'allowTools' | 'denyTools' | 'enabled' | 'timeoutMs'
>;

/** The storage port (PostgreSQL in mcp-server.repository.ts). Every read and write is scoped by tenant. */
export interface McpServerRepository {
  /** Throws ConflictError when the tenant has a server of that name. */
  insert(serverId: string, tenantId: string, fields: McpServerFields, createdBy: string): Promise<McpServerRecord>;
  find(tenantId: string, serverId: string): Promise<McpServerRecord | undefined>;
  findMany(tenantId: string, serverIds: readonly string[]): Promise<McpServerRecord[]>;
  list(tenantId: string, limit: number, after?: CreatedAtPosition): Promise<McpServerRecord[]>;
  /** Writes all fields; undefined when the server is gone. Throws ConflictError on a taken name. */
  update(tenantId: string, serverId: string, fields: McpServerFields): Promise<McpServerRecord | undefined>;
  delete(tenantId: string, serverId: string): Promise<boolean>;
}

/** Seals and opens the auth header's value (functions/shared/sealed-secrets.ts). */
export interface SecretSealer {
  seal(plaintext: string, context: string): Promise<string>;
  open(sealed: string, context: string): Promise<string>;
}

/** What the outbound rules say about a URL before anything is sent (scheme, credentials, literal addresses, allowed hosts). */
export type UrlPolicy = (url: URL) => string | undefined;

/** Where and how to reach one server, with its auth header opened. */
export interface RemoteEndpoint {
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
}

export interface RemoteToolDefinition {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

export type RemoteCallResult = { ok: true; output: unknown } | { ok: false; error: { type: RemoteFailureType; message: string } };

export type RemoteFailureType = 'timeout' | 'refused' | 'upstream_error' | 'tool_failed' | 'unknown_tool' | 'disabled' | 'not_found';

/** The MCP client port: one connection per operation (the servers may be stateless or not; we hold nothing). */
export interface RemoteMcp {
  /** Throws RemoteMcpError (timeout, refused, upstream) when the server cannot be listed. */
  listTools(endpoint: RemoteEndpoint, signal?: AbortSignal): Promise<{ protocolVersion: string | null; tools: RemoteToolDefinition[] }>;
  /** Never throws: every failure is a result the model can read. */
  callTool(endpoint: RemoteEndpoint, name: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<RemoteCallResult>;
}

export class RemoteMcpError extends Error {
  override name = 'RemoteMcpError';
  readonly type: RemoteFailureType;
  constructor(type: RemoteFailureType, message: string) {
    super(message);
    this.type = type;
  }
}

/** The context the auth value is sealed under: a value copied into another row or tenant does not open. */
export const sealContext = (tenantId: string, serverId: string): string => `mcp-server:${tenantId}:${serverId}`;
