/**
 * Who may do what in a workspace, and which channels a principal may read or write. Workspace roles rank
 * owner > editor > viewer; a tenant admin acts as owner of every workspace of the tenant. Anyone else,
 * and any other tenant, is told the workspace does not exist.
 */
import { ForbiddenError, NotFoundError } from '#shared/errors.ts';
import type { Principal } from '#shared/principal.ts';
import type { WorkspaceRole } from './realtime.contracts.ts';
import type { WorkspaceRecord } from './workspace.repository.ts';

const rank: Record<WorkspaceRole, number> = { viewer: 1, editor: 2, owner: 3 };

export const workspaceChannel = (workspaceId: string): string => `workspace:${workspaceId}`;

/** The role the caller acts with: their membership, else owner for tenant admins, else none. */
export const effectiveRole = (workspace: WorkspaceRecord, caller: Principal): WorkspaceRole | null =>
  workspace.role ?? (caller.roles.includes('admin') && workspace.tenantId === caller.tenantId ? 'owner' : null);

export interface WorkspaceLookup {
  find(tenantId: string, workspaceId: string, userId: string): Promise<WorkspaceRecord | undefined>;
}

/** The workspace if the caller may act on it with at least `needed`; 404 when they may not see it, 403 when they may only see it. */
export const requireWorkspace = async (
  workspaces: WorkspaceLookup,
  caller: Principal,
  workspaceId: string,
  needed: WorkspaceRole,
): Promise<WorkspaceRecord & { actingRole: WorkspaceRole }> => {
  const found = await workspaces.find(caller.tenantId, workspaceId, caller.userId);
  const role = found ? effectiveRole(found, caller) : null;
  if (!found || !role) throw new NotFoundError(`No workspace ${workspaceId}`);
  if (rank[role] < rank[needed]) throw new ForbiddenError(`This needs the ${needed} role in the workspace; you are ${role}`);
  return { ...found, actingRole: role };
};

/** Which tenant an agent execution belongs to (undefined: no such execution). */
export interface ExecutionTenants {
  tenantOf(executionId: string): Promise<string | undefined>;
}

export interface ResolvedChannel {
  /** What clients call it: `workspace:<id>`, `execution:<id>`, `n8n`. */
  name: string;
  /** The event-log (and subscription) name: `n8n` becomes `n8n:<tenantId>`. */
  log: string;
  kind: 'workspace' | 'execution' | 'n8n';
}

/**
 * Checks that the caller may read (subscribe, presence) or write (publish) a channel. Only workspaces
 * accept publish: execution and n8n channels are written by the platform.
 */
export const resolveChannel = async (
  ports: { workspaces: WorkspaceLookup; executions: ExecutionTenants },
  caller: Principal,
  name: string,
  access: 'read' | 'write',
): Promise<ResolvedChannel> => {
  const separator = name.indexOf(':');
  const kind = separator < 0 ? name : name.slice(0, separator);
  const id = name.slice(separator + 1);
  if (kind === 'workspace') {
    await requireWorkspace(ports.workspaces, caller, id, access === 'write' ? 'editor' : 'viewer');
    return { name, log: workspaceChannel(id), kind };
  }
  if (access === 'write') throw new ForbiddenError('Only workspace channels accept publish');
  if (kind === 'execution') {
    if ((await ports.executions.tenantOf(id)) !== caller.tenantId) throw new NotFoundError(`No execution ${id}`);
    return { name, log: name, kind };
  }
  if (kind === 'n8n') return { name: 'n8n', log: `n8n:${caller.tenantId}`, kind };
  throw new NotFoundError(`No channel ${name}`);
};
