/**
 * Agent use cases. Tenancy comes from the caller's principal, never from input; every write stores the
 * resulting definition as an agent_versions row in the same transaction, so the version an execution ran
 * can always be loaded.
 */
import { NotFoundError, ValidationError, type FieldError } from '#shared/errors.ts';
import { createdAtPosition, cursorInt, decodeCursor, toPage, type Page } from '#shared/pagination.ts';
import type { Principal } from '#shared/principal.ts';
import * as z from 'zod';
import type { AgentVersionView, AgentView, CreateAgentInput, UpdateAgentInput } from '../agents.contracts.ts';
import { AgentVersionConflictError } from './agent.errors.ts';
import { newId } from '#shared/ids.ts';
import type { AgentDefinition, AgentRecord, AgentRepository, AgentVersionRecord, ToolCatalog } from './agent.ts';

/** Runs `fn` with a repository bound to one transaction. */
export type InTransaction = <T>(fn: (agents: AgentRepository) => Promise<T>) => Promise<T>;

export const toAgentView = (r: AgentRecord): AgentView => ({
  agentId: r.agentId,
  name: r.name,
  description: r.description,
  systemPrompt: r.systemPrompt,
  model: r.model,
  tools: r.tools,
  maxSteps: r.maxSteps,
  version: r.version,
  createdBy: r.createdBy,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

const toVersionView = (r: AgentVersionRecord): AgentVersionView => ({
  agentId: r.agentId,
  version: r.version,
  name: r.name,
  description: r.description,
  systemPrompt: r.systemPrompt,
  model: r.model,
  tools: r.tools,
  maxSteps: r.maxSteps,
  createdBy: r.createdBy,
  createdAt: r.createdAt.toISOString(),
});

/**
 * Unknown tool names fail the request, each named (`body.tools.<i>`) like the schema's own errors; so does a
 * reference (`mcp:<serverId>`) to something the caller's tenant does not have.
 */
const checkTools = async (catalog: ToolCatalog, tenantId: string, tools: readonly string[]): Promise<void> => {
  const refs = catalog.refs;
  const refNames = refs ? tools.filter((name) => refs.isRef(name)) : [];
  const missing = new Set(refs && refNames.length > 0 ? await refs.unknown(tenantId, refNames) : []);
  const errors: FieldError[] = tools.flatMap((name, i) => {
    if (refs?.isRef(name)) {
      return missing.has(name)
        ? [{ path: `body.tools.${i}`, message: `"${name}" names no MCP server of this tenant (GET /v1/mcp-servers lists them)` }]
        : [];
    }
    return catalog.has(name) ? [] : [{ path: `body.tools.${i}`, message: `Unknown tool "${name}"; available: ${catalog.names().join(', ')}` }];
  });
  if (errors.length > 0) throw new ValidationError(`${errors.length} invalid field(s): ${errors.map((e) => e.path).join(', ')}`, errors);
};

const notFound = (agentId: string) => new NotFoundError(`No agent ${agentId} in this tenant`);

export const createAgent = async (
  inTransaction: InTransaction,
  catalog: ToolCatalog,
  caller: Principal,
  input: CreateAgentInput,
): Promise<AgentView> => {
  await checkTools(catalog, caller.tenantId, input.tools);
  const def: AgentDefinition = { ...input };
  return inTransaction(async (agents) => {
    const agent = await agents.insert(newId('agt'), caller.tenantId, def, caller.userId);
    await agents.insertVersion({ ...agent, updatedAt: agent.createdAt }, caller.userId);
    return toAgentView(agent);
  });
};

export const getAgent = async (agents: AgentRepository, caller: Principal, agentId: string): Promise<AgentView> => {
  const agent = await agents.find(caller.tenantId, agentId);
  if (!agent) throw notFound(agentId);
  return toAgentView(agent);
};

const position = createdAtPosition;

export const listAgents = async (
  agents: AgentRepository,
  caller: Principal,
  query: { limit: number; cursor?: string | undefined },
): Promise<Page<AgentView>> => {
  const after = decodeCursor(query.cursor, position);
  const rows = await agents.listByTenant(caller.tenantId, query.limit, after);
  return toPage(rows, query.limit, toAgentView, (r) => ({ createdAt: r.createdAt.toISOString(), id: r.agentId }));
};

/**
 * Partial update: absent fields keep their value, and `model` is replaced as a whole (a provider change
 * would otherwise inherit settings meant for another model). `expectedVersion` (body or If-Match) makes it
 * a compare-and-set: the row lock orders concurrent writers, and the loser gets 409 instead of silently
 * overwriting a version it never saw.
 */
export const updateAgent = async (
  inTransaction: InTransaction,
  catalog: ToolCatalog,
  caller: Principal,
  agentId: string,
  input: UpdateAgentInput,
  expectedVersion: number | undefined,
): Promise<AgentView> => {
  if (input.tools) await checkTools(catalog, caller.tenantId, input.tools);
  return inTransaction(async (agents) => {
    const current = await agents.find(caller.tenantId, agentId, { forUpdate: true });
    if (!current) throw notFound(agentId);
    if (expectedVersion !== undefined && expectedVersion !== current.version) {
      throw new AgentVersionConflictError(`Agent ${agentId} is at version ${current.version}, not ${expectedVersion}; reload it and retry`);
    }
    const def: AgentDefinition = {
      name: input.name ?? current.name,
      description: input.description ?? current.description,
      systemPrompt: input.systemPrompt ?? current.systemPrompt,
      model: input.model ?? current.model,
      tools: input.tools ?? current.tools,
      maxSteps: input.maxSteps ?? current.maxSteps,
    };
    const updated = await agents.update(caller.tenantId, agentId, def);
    await agents.insertVersion(updated, caller.userId);
    return toAgentView(updated);
  });
};

export const deleteAgent = async (agents: AgentRepository, caller: Principal, agentId: string): Promise<void> => {
  if (!(await agents.softDelete(caller.tenantId, agentId))) throw notFound(agentId);
};

const versionPosition = z.object({ version: cursorInt(1) });

export const listAgentVersions = async (
  agents: AgentRepository,
  caller: Principal,
  agentId: string,
  query: { limit: number; cursor?: string | undefined },
): Promise<Page<AgentVersionView>> => {
  const before = decodeCursor(query.cursor, versionPosition);
  if (!(await agents.find(caller.tenantId, agentId))) throw notFound(agentId);
  const rows = await agents.listVersions(agentId, query.limit, before?.version);
  return toPage(rows, query.limit, toVersionView, (r) => ({ version: r.version }));
};

/**
 * The version an update must start from, from `If-Match` (`"3"`, `W/"3"` or `3`; `*` means any) or the
 * body's `expectedVersion`; both given must agree.
 */
export const expectedVersionFrom = (ifMatch: string | undefined, bodyVersion: number | undefined): number | undefined => {
  let fromHeader: number | undefined;
  if (ifMatch !== undefined && ifMatch.trim() !== '*') {
    const match = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(ifMatch);
    if (!match) {
      throw new ValidationError('If-Match must be an agent version as returned in ETag', [
        { path: 'headers.if-match', message: 'Expected an ETag like "3"' },
      ]);
    }
    fromHeader = Number(match[1]);
  }
  if (fromHeader !== undefined && bodyVersion !== undefined && fromHeader !== bodyVersion) {
    throw new ValidationError('If-Match and expectedVersion disagree', [{ path: 'body.expectedVersion', message: `If-Match says ${fromHeader}` }]);
  }
  return fromHeader ?? bodyVersion;
};
