/** Workspaces and their members: records and the storage port (PostgreSQL in workspace.repository.ts). */
import type { WorkspaceRole } from './realtime.contracts.ts';

export interface WorkspaceRecord {
  workspaceId: string;
  tenantId: string;
  name: string;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
  /** The given user's role in it, null when not a member. */
  role: WorkspaceRole | null;
}

export interface MemberRecord {
  userId: string;
  role: WorkspaceRole;
  addedBy: string | null;
  addedAt: Date;
}

export interface KeysetPosition {
  at: string;
  id: string;
}

/** Every query is scoped by tenant. */
export interface WorkspaceRepository {
  /** Creates the workspace with its creator as owner, in one statement (no transaction needed). */
  create(input: { workspaceId: string; tenantId: string; name: string; createdBy: string }): Promise<WorkspaceRecord>;
  /** The tenant's workspace with `userId`'s role in it (null role: not a member), or undefined. */
  find(tenantId: string, workspaceId: string, userId: string): Promise<WorkspaceRecord | undefined>;
  /** Oldest first; `allOfTenant` lists every workspace of the tenant, else only `userId`'s. */
  list(tenantId: string, userId: string, allOfTenant: boolean, limit: number, after?: KeysetPosition): Promise<WorkspaceRecord[]>;
  rename(tenantId: string, workspaceId: string, name: string): Promise<void>;
  /** Deletes the workspace, its members (cascade) and its channel's event log. */
  delete(tenantId: string, workspaceId: string, channel: string): Promise<void>;
  addMember(workspaceId: string, member: { userId: string; role: WorkspaceRole; addedBy: string }): Promise<MemberRecord>;
  listMembers(workspaceId: string, limit: number, after?: KeysetPosition): Promise<MemberRecord[]>;
  removeMember(workspaceId: string, userId: string): Promise<'removed' | 'absent' | 'last-owner'>;
}
