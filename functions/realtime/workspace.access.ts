/**
 * Who may do what in a workspace, and the workspace channel kind. Workspace roles rank owner > editor >
 * viewer; a tenant admin acts as owner of every workspace of the tenant. Anyone else, and any other tenant,
 * is told the workspace does not exist.
 */
import type { ChannelKind } from '#shared/channels.ts';
import { ForbiddenError, NotFoundError } from '#shared/errors.ts';
import type { Principal } from '#shared/principal.ts';
import type { WorkspaceRole } from './realtime.contracts.ts';
import type { WorkspaceRecord } from './workspace.ts';

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

/**
 * The realtime domain's own channel kind: workspaces, where members publish and presence is kept. Without
 * `workspaces` (a fan-out that only pushes) the kind names and points but grants nothing.
 */
export const workspaceChannelKind = (workspaces?: WorkspaceLookup): ChannelKind => ({
  kind: 'workspace',
  scope: 'resource',
  idPattern: /^wsp_[A-Za-z0-9_-]{8,64}$/,
  idHint: 'workspace:wsp_…',
  publish: true,
  presence: true,
  authorize: async (caller, id, access) => {
    if (!workspaces) throw new NotFoundError(`No workspace ${id}`);
    await requireWorkspace(workspaces, caller, id, access === 'write' ? 'editor' : 'viewer');
  },
  fetchPath: (id, seq) => `/v1/workspaces/${id}/messages?before=${seq + 1}&limit=1`,
});
