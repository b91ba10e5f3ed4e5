/**
 * Request and response shapes of the realtime REST routes (workspaces, members, message history). The same
 * schemas validate requests (functions/shared/http.ts) and feed the OpenAPI document.
 */
import * as z from 'zod';
import { listQuery as sharedListQuery, MAX_LIMIT, pageSchema } from '#shared/pagination.ts';
import { externalIdSchema, idSchema } from '#shared/ids.ts';

export const WORKSPACE_ROLES = ['owner', 'editor', 'viewer'] as const;
export type WorkspaceRole = (typeof WORKSPACE_ROLES)[number];

export const workspaceRole = z
  .enum(WORKSPACE_ROLES)
  .meta({ id: 'WorkspaceRole', description: 'owner > editor > viewer; editors and owners may publish' });

const timestamp = z.iso.datetime({ offset: true });
const name = z.string().trim().min(1).max(100);

export const workspaceId = idSchema('wsp', 'a workspace');

/** Platform user ids: JWT `sub` values (OIDC ones included) and `apikey:<keyId>`. */
export const userId = externalIdSchema('a user id', 'user-42');

export const workspaceParams = z.object({ workspaceId });
export const memberParams = z.object({ workspaceId, userId });

export const listQuery = sharedListQuery;

export const createWorkspaceBody = z.strictObject({ name: name.meta({ example: 'Design review' }) }).meta({ id: 'CreateWorkspaceRequest' });
export const renameWorkspaceBody = z.strictObject({ name: name.meta({ example: 'Design review (Q3)' }) }).meta({ id: 'RenameWorkspaceRequest' });

export const workspace = z
  .object({
    workspaceId,
    tenantId: z.string(),
    name: z.string(),
    role: workspaceRole.nullable().meta({ description: "The caller's role; null for a tenant admin who is not a member" }),
    channel: z.string().meta({ description: 'The WebSocket channel of this workspace', example: 'workspace:wsp_Xk3pQ9aB7cD1eF2g' }),
    createdBy: z.string(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Workspace' });

export const workspacePage = pageSchema(workspace).meta({ id: 'WorkspacePage' });

export const addMemberBody = z.strictObject({ userId, role: workspaceRole.default('editor') }).meta({ id: 'AddWorkspaceMemberRequest' });

export const member = z
  .object({ userId: z.string(), role: workspaceRole, addedBy: z.string().nullable(), addedAt: timestamp })
  .meta({ id: 'WorkspaceMember' });

export const memberPage = pageSchema(member).meta({ id: 'WorkspaceMemberPage' });

export const messagesQuery = z.object({
  before: z.coerce
    .number()
    .int()
    .min(1)
    .max(Number.MAX_SAFE_INTEGER)
    .optional()
    .meta({ description: "Only messages with a seq below this (the previous page's nextCursor)", example: 120 }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_LIMIT)
    .default(50)
    .meta({ description: `Page size, 1-${MAX_LIMIT}` }),
});

export const message = z
  .object({
    seq: z.number().int().meta({ description: 'Position in the workspace channel; the WebSocket `afterSeq` resumes from it' }),
    at: timestamp,
    userId: z.string().meta({ description: 'Who published it' }),
    body: z.unknown().meta({ description: 'What was published (`data` of the publish frame)' }),
  })
  .meta({ id: 'WorkspaceMessage' });

export const messagePage = z
  .object({
    items: z.array(message).meta({ description: 'Newest first' }),
    nextCursor: z.string().nullable().meta({ description: 'Pass as `before` for older messages; null at the start' }),
  })
  .meta({ id: 'WorkspaceMessagePage' });

export type WorkspaceView = z.infer<typeof workspace>;
export type MemberView = z.infer<typeof member>;
export type MessageView = z.infer<typeof message>;
