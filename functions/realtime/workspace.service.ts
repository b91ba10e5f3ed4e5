/** Workspace use cases over REST. Tenancy comes from the caller's principal, never from input. */
import * as z from 'zod';
import type { ChannelEvent } from '#shared/channel-events.ts';
import { ConflictError, ForbiddenError, NotFoundError } from '#shared/errors.ts';
import { cursorId, cursorTimestamp, decodeCursor, toPage, type Page } from '#shared/pagination.ts';
import type { Principal } from '#shared/principal.ts';
import type { MemberView, MessageView, WorkspaceRole, WorkspaceView } from './realtime.contracts.ts';
import { effectiveRole, requireWorkspace, workspaceChannel } from './workspace.access.ts';
import type { MemberRecord, WorkspaceRecord, WorkspaceRepository } from './workspace.ts';
import { newId } from '#shared/ids.ts';

/** Live subscriptions to drop when someone loses access (implemented over DynamoDB). */
export interface LiveSubscriptions {
  dropChannel(channel: string, userId?: string): Promise<unknown>;
}

/** Reads the workspace's event log (ChannelEventStore). */
export interface MessageLog {
  listBefore(tenantId: string, channel: string, beforeSeq: number | undefined, limit: number, kinds?: string[]): Promise<ChannelEvent[]>;
}

export const MESSAGE_KIND = 'message';

export const newWorkspaceId = (): string => newId('wsp');

export const toWorkspaceView = (w: WorkspaceRecord): WorkspaceView => ({
  workspaceId: w.workspaceId,
  tenantId: w.tenantId,
  name: w.name,
  role: w.role,
  channel: workspaceChannel(w.workspaceId),
  createdBy: w.createdBy,
  createdAt: w.createdAt.toISOString(),
  updatedAt: w.updatedAt.toISOString(),
});

const toMemberView = (m: MemberRecord): MemberView => ({ userId: m.userId, role: m.role, addedBy: m.addedBy, addedAt: m.addedAt.toISOString() });

const position = z.object({ at: cursorTimestamp, id: cursorId });

export const createWorkspace = async (repo: WorkspaceRepository, caller: Principal, input: { name: string }): Promise<WorkspaceView> =>
  toWorkspaceView(await repo.create({ workspaceId: newWorkspaceId(), tenantId: caller.tenantId, name: input.name, createdBy: caller.userId }));

export const listWorkspaces = async (
  repo: WorkspaceRepository,
  caller: Principal,
  query: { limit: number; cursor?: string | undefined },
): Promise<Page<WorkspaceView>> => {
  const after = decodeCursor(query.cursor, position);
  const rows = await repo.list(caller.tenantId, caller.userId, caller.roles.includes('admin'), query.limit, after);
  return toPage(rows, query.limit, toWorkspaceView, (w) => ({ at: w.createdAt.toISOString(), id: w.workspaceId }));
};

export const getWorkspace = async (repo: WorkspaceRepository, caller: Principal, workspaceId: string): Promise<WorkspaceView> =>
  toWorkspaceView(await requireWorkspace(repo, caller, workspaceId, 'viewer'));

export const renameWorkspace = async (repo: WorkspaceRepository, caller: Principal, workspaceId: string, name: string): Promise<WorkspaceView> => {
  await requireWorkspace(repo, caller, workspaceId, 'owner');
  await repo.rename(caller.tenantId, workspaceId, name);
  return getWorkspace(repo, caller, workspaceId);
};

export const deleteWorkspace = async (repo: WorkspaceRepository, live: LiveSubscriptions, caller: Principal, workspaceId: string): Promise<void> => {
  await requireWorkspace(repo, caller, workspaceId, 'owner');
  await repo.delete(caller.tenantId, workspaceId, workspaceChannel(workspaceId));
  await live.dropChannel(workspaceChannel(workspaceId));
};

export const addMember = async (
  repo: WorkspaceRepository,
  caller: Principal,
  workspaceId: string,
  input: { userId: string; role: WorkspaceRole },
): Promise<MemberView> => {
  await requireWorkspace(repo, caller, workspaceId, 'owner');
  return toMemberView(await repo.addMember(workspaceId, { ...input, addedBy: caller.userId }));
};

export const listMembers = async (
  repo: WorkspaceRepository,
  caller: Principal,
  workspaceId: string,
  query: { limit: number; cursor?: string | undefined },
): Promise<Page<MemberView>> => {
  await requireWorkspace(repo, caller, workspaceId, 'viewer');
  const after = decodeCursor(query.cursor, position);
  const rows = await repo.listMembers(workspaceId, query.limit, after);
  return toPage(rows, query.limit, toMemberView, (m) => ({ at: m.addedAt.toISOString(), id: m.userId }));
};

/** Owners and tenant admins remove anyone; any member may remove themself (leave). */
export const removeMember = async (
  repo: WorkspaceRepository,
  live: LiveSubscriptions,
  caller: Principal,
  workspaceId: string,
  userId: string,
): Promise<void> => {
  const workspace = await requireWorkspace(repo, caller, workspaceId, 'viewer');
  if (userId !== caller.userId && workspace.actingRole !== 'owner') throw new ForbiddenError('Only owners remove other members');
  const outcome = await repo.removeMember(workspaceId, userId);
  if (outcome === 'absent') throw new NotFoundError(`${userId} is not a member of ${workspaceId}`);
  if (outcome === 'last-owner') throw new ConflictError('The last owner cannot be removed; make someone else owner first');
  // Membership is checked at subscribe time; a removed member must also stop receiving what is live.
  const stillAdmin = userId === caller.userId && effectiveRole({ ...workspace, role: null }, caller) !== null;
  if (!stillAdmin) await live.dropChannel(workspaceChannel(workspaceId), userId);
};

export const listMessages = async (
  repo: WorkspaceRepository,
  log: MessageLog,
  caller: Principal,
  workspaceId: string,
  query: { before?: number | undefined; limit: number },
): Promise<{ items: MessageView[]; nextCursor: string | null }> => {
  await requireWorkspace(repo, caller, workspaceId, 'viewer');
  const events = await log.listBefore(caller.tenantId, workspaceChannel(workspaceId), query.before, query.limit + 1, [MESSAGE_KIND]);
  const page = events.slice(0, query.limit);
  const items = page.map((e) => {
    const data = (e.data ?? {}) as { userId?: string; body?: unknown };
    return { seq: e.seq, at: e.at, userId: data.userId ?? '', body: data.body ?? null };
  });
  return { items, nextCursor: events.length > query.limit ? String(page.at(-1)!.seq) : null };
};
