/**
 * Use cases of `/v1/mcp-servers` and of agents using those servers' tools. Tenancy comes from the caller's
 * principal (or the execution's tenant), never from input. The auth header's value is sealed before it is
 * stored and opened only to call the server; views carry the header name and never the value.
 */
import { BadGatewayError, GatewayTimeoutError, NotFoundError, UnprocessableContentError, ValidationError } from '#shared/errors.ts';
import { newId } from '#shared/ids.ts';
import { createdAtPosition, decodeCursor, toPage, type Page } from '#shared/pagination.ts';
import type { Principal } from '#shared/principal.ts';
import {
  MCP_TOOL_REF_PREFIX,
  type CreateMcpServerInput,
  type McpServerView,
  type RemoteToolView,
  type UpdateMcpServerInput,
} from './mcp-servers.contracts.ts';
import {
  RemoteMcpError,
  sealContext,
  type McpServerFields,
  type McpServerRecord,
  type McpServerRepository,
  type RemoteCallResult,
  type RemoteEndpoint,
  type RemoteMcp,
  type SecretSealer,
  type UrlPolicy,
} from './mcp-server.ts';
import { modelToolName, splitModelToolName, toolAllowed } from './tool-names.ts';

export interface McpServersDeps {
  repo: McpServerRepository;
  sealer: SecretSealer;
  urlPolicy: UrlPolicy;
  remote: RemoteMcp;
}

export const toView = (r: McpServerRecord): McpServerView => ({
  serverId: r.serverId,
  name: r.name,
  url: r.url,
  auth: r.authHeader ? { header: r.authHeader, configured: true } : null,
  allowTools: r.allowTools,
  denyTools: r.denyTools,
  enabled: r.enabled,
  timeoutSeconds: Math.round(r.timeoutMs / 1000),
  toolRef: `${MCP_TOOL_REF_PREFIX}${r.serverId}`,
  version: r.version,
  createdBy: r.createdBy,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

const notFound = (serverId: string) => new NotFoundError(`No MCP server ${serverId} in this tenant`);

const checkUrl = (policy: UrlPolicy, url: string): void => {
  const refusal = policy(new URL(url));
  if (refusal) throw new ValidationError(`The URL is refused: ${refusal}`, [{ path: 'body.url', message: refusal }]);
};

/** The tool schemas models take: a plain object at the root (Anthropic refuses anything else). */
export const modelParameters = (schema: Record<string, unknown>): { parameters?: Record<string, unknown>; reason?: string } => {
  const { $schema: _, ...rest } = schema;
  if (rest.type !== undefined && rest.type !== 'object') return { reason: `its input schema is of type ${JSON.stringify(rest.type)}, not an object` };
  for (const combinator of ['anyOf', 'oneOf', 'allOf', 'not']) {
    if (combinator in rest) return { reason: `its input schema uses ${combinator} at the root, which models do not take` };
  }
  const properties = rest.properties ?? {};
  if (typeof properties !== 'object' || properties === null || Array.isArray(properties))
    return { reason: 'its input schema has no usable properties' };
  return { parameters: { ...rest, type: 'object', properties } };
};

export class McpServersService {
  readonly #d: McpServersDeps;

  constructor(deps: McpServersDeps) {
    this.#d = deps;
  }

  async create(principal: Principal, input: CreateMcpServerInput): Promise<McpServerView> {
    checkUrl(this.#d.urlPolicy, input.url);
    const serverId = newId('mcs');
    const fields: McpServerFields = {
      name: input.name,
      url: input.url,
      authHeader: input.auth?.header ?? null,
      authSealed: input.auth ? await this.#d.sealer.seal(input.auth.value, sealContext(principal.tenantId, serverId)) : null,
      allowTools: input.allowTools,
      denyTools: input.denyTools,
      enabled: input.enabled,
      timeoutMs: input.timeoutSeconds * 1000,
    };
    return toView(await this.#d.repo.insert(serverId, principal.tenantId, fields, principal.userId));
  }

  async list(principal: Principal, query: { limit: number; cursor?: string | undefined }): Promise<Page<McpServerView>> {
    const after = decodeCursor(query.cursor, createdAtPosition);
    const rows = await this.#d.repo.list(principal.tenantId, query.limit, after);
    return toPage(rows, query.limit, toView, (r) => ({ createdAt: r.createdAt.toISOString(), id: r.serverId }));
  }

  async get(principal: Principal, serverId: string): Promise<McpServerView> {
    return toView(await this.#record(principal.tenantId, serverId));
  }

  async update(principal: Principal, serverId: string, input: UpdateMcpServerInput): Promise<McpServerView> {
    const current = await this.#record(principal.tenantId, serverId);
    if (input.url !== undefined) checkUrl(this.#d.urlPolicy, input.url);
    let auth: Pick<McpServerFields, 'authHeader' | 'authSealed'> = { authHeader: current.authHeader, authSealed: current.authSealed };
    if (input.auth === null) auth = { authHeader: null, authSealed: null };
    else if (input.auth !== undefined) {
      auth = { authHeader: input.auth.header, authSealed: await this.#d.sealer.seal(input.auth.value, sealContext(principal.tenantId, serverId)) };
    }
    const updated = await this.#d.repo.update(principal.tenantId, serverId, {
      name: input.name ?? current.name,
      url: input.url ?? current.url,
      ...auth,
      allowTools: input.allowTools !== undefined ? input.allowTools : current.allowTools,
      denyTools: input.denyTools ?? current.denyTools,
      enabled: input.enabled ?? current.enabled,
      timeoutMs: input.timeoutSeconds !== undefined ? input.timeoutSeconds * 1000 : current.timeoutMs,
    });
    if (!updated) throw notFound(serverId);
    return toView(updated);
  }

  async delete(principal: Principal, serverId: string): Promise<void> {
    if (!(await this.#d.repo.delete(principal.tenantId, serverId))) throw notFound(serverId);
  }

  /** The server's tools as a model would get them, with those the filters or their schemas keep out marked. */
  async remoteTools(
    principal: Principal,
    serverId: string,
    signal?: AbortSignal,
  ): Promise<{ serverId: string; protocolVersion: string | null; items: RemoteToolView[] }> {
    const server = await this.#record(principal.tenantId, serverId);
    let listed: Awaited<ReturnType<RemoteMcp['listTools']>>;
    try {
      listed = await this.#d.remote.listTools(await this.#endpoint(server), signal);
    } catch (error) {
      throw upstreamProblem(server, error);
    }
    const items = listed.tools.map((tool) => {
      const { parameters, reason } = modelParameters(tool.inputSchema);
      const allowed = toolAllowed(tool.name, server);
      return {
        name: tool.name,
        modelName: modelToolName(server.name, tool.name),
        description: tool.description,
        inputSchema: tool.inputSchema,
        offered: allowed && parameters !== undefined && server.enabled,
        ...(!server.enabled
          ? { reason: 'the server is disabled' }
          : !allowed
            ? { reason: 'filtered out by allowTools/denyTools' }
            : reason
              ? { reason }
              : {}),
      };
    });
    return { serverId, protocolVersion: listed.protocolVersion, items };
  }

  // --- agents' side -------------------------------------------------------------------------------------

  /** Of `serverIds`, those the tenant has no server for (an agent may only list servers that exist). */
  async unknown(tenantId: string, serverIds: readonly string[]): Promise<string[]> {
    const found = new Set((await this.#d.repo.findMany(tenantId, serverIds)).map((r) => r.serverId));
    return serverIds.filter((id) => !found.has(id));
  }

  /**
   * The tools of the agent's servers, as the model gets them. A server that is gone, disabled or failing
   * costs only its own tools: it is reported in `unavailable` and the run goes on with the rest.
   */
  async toolsFor(tenantId: string, serverIds: readonly string[], signal?: AbortSignal): Promise<McpToolset> {
    const servers = await this.#d.repo.findMany(tenantId, serverIds);
    const unavailable: McpToolset['unavailable'] = serverIds
      .filter((id) => !servers.some((s) => s.serverId === id))
      .map((serverId) => ({ serverId, reason: 'no such MCP server in this tenant (deleted?)' }));
    const listed = await Promise.all(
      servers.map(async (server) => {
        if (!server.enabled) {
          unavailable.push({ serverId: server.serverId, name: server.name, reason: 'disabled' });
          return [];
        }
        try {
          const { tools } = await this.#d.remote.listTools(await this.#endpoint(server), signal);
          return tools.flatMap((tool) => {
            const { parameters } = modelParameters(tool.inputSchema);
            if (!parameters || !toolAllowed(tool.name, server)) return [];
            const description = `[MCP server ${server.name}] ${tool.description}`.slice(0, 1024);
            return [{ name: modelToolName(server.name, tool.name), description, parameters }];
          });
        } catch (error) {
          unavailable.push({ serverId: server.serverId, name: server.name, reason: error instanceof Error ? error.message : String(error) });
          return [];
        }
      }),
    );
    return { tools: listed.flat(), unavailable };
  }

  /** Calls the tool a model named; every failure is a result the model reads. */
  async call(tenantId: string, serverIds: readonly string[], modelName: string, args: unknown, signal?: AbortSignal): Promise<RemoteCallResult> {
    const split = splitModelToolName(modelName);
    const servers = split ? await this.#d.repo.findMany(tenantId, serverIds) : [];
    const server = servers.find((s) => s.name === split?.serverName);
    if (!split || !server) return { ok: false, error: { type: 'unknown_tool', message: `There is no tool named "${modelName}".` } };
    if (!server.enabled) return { ok: false, error: { type: 'disabled', message: `The MCP server ${server.name} is disabled.` } };
    if (args === null || typeof args !== 'object' || Array.isArray(args)) {
      return { ok: false, error: { type: 'upstream_error', message: `The arguments for ${modelName} must be a JSON object.` } };
    }
    let endpoint: RemoteEndpoint;
    try {
      endpoint = await this.#endpoint(server);
    } catch (error) {
      return { ok: false, error: { type: 'upstream_error', message: error instanceof Error ? error.message : String(error) } };
    }
    let toolName = split.direct;
    if (toolName === undefined) {
      // A name changed to fit the model's rules: the server's list says which tool it stands for.
      try {
        const { tools } = await this.#d.remote.listTools(endpoint, signal);
        toolName = tools.find((t) => modelToolName(server.name, t.name) === modelName)?.name;
      } catch (error) {
        const failure = error instanceof RemoteMcpError ? error : new RemoteMcpError('upstream_error', String(error));
        return { ok: false, error: { type: failure.type, message: failure.message } };
      }
    }
    if (toolName === undefined || !toolAllowed(toolName, server)) {
      return { ok: false, error: { type: 'unknown_tool', message: `There is no tool named "${modelName}".` } };
    }
    return this.#d.remote.callTool(endpoint, toolName, args as Record<string, unknown>, signal);
  }

  async #record(tenantId: string, serverId: string): Promise<McpServerRecord> {
    const server = await this.#d.repo.find(tenantId, serverId);
    if (!server) throw notFound(serverId);
    return server;
  }

  async #endpoint(server: McpServerRecord): Promise<RemoteEndpoint> {
    // The policy may have tightened since the URL was stored (an operator's allowed hosts): checked on every use.
    const refusal = this.#d.urlPolicy(new URL(server.url));
    if (refusal) throw new RemoteMcpError('refused', `The MCP server ${server.name} is refused: ${refusal}`);
    const headers: Record<string, string> = {};
    if (server.authHeader && server.authSealed) {
      headers[server.authHeader] = await this.#d.sealer.open(server.authSealed, sealContext(server.tenantId, server.serverId));
    }
    return { url: server.url, headers, timeoutMs: server.timeoutMs };
  }
}

export interface McpToolset {
  tools: Array<{ name: string; description: string; parameters: Record<string, unknown> }>;
  unavailable: Array<{ serverId: string; name?: string; reason: string }>;
}

/**
 * A server that could not be listed, as the problem the caller reads (no credentials in it): 504 on a
 * timeout, 422 when the outbound rules refuse its address, else 502.
 */
const upstreamProblem = (server: McpServerRecord, error: unknown): Error => {
  const failure = error instanceof RemoteMcpError ? error : new RemoteMcpError('upstream_error', String(error));
  const message = `MCP server ${server.name}: ${failure.message}`;
  if (failure.type === 'timeout') return new GatewayTimeoutError(message);
  return failure.type === 'refused' ? new UnprocessableContentError(message) : new BadGatewayError(message);
};
