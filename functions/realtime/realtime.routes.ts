/** The realtime domain's REST routes, declared once (manifest, local runtime, OpenAPI, handlers). */
import type { HttpRoute } from '#lib/route-manifest.types.ts';
import * as c from './realtime.contracts.ts';

const tags = ['realtime'];
const notFound = { 404: { description: 'No such workspace in your tenant, or you are not a member' } };

export const createWorkspaceRoute = {
  method: 'POST', path: '/v1/workspaces', roles: ['admin', 'developer'], summary: 'Create a workspace (the caller becomes its owner)', tags,
  request: { body: c.createWorkspaceBody },
  responses: { 201: { description: 'Created', schema: c.workspace } },
} satisfies HttpRoute;

export const listWorkspacesRoute = {
  method: 'GET', path: '/v1/workspaces', summary: "Workspaces the caller is a member of (tenant admins: all of the tenant's)", tags,
  request: { query: c.listQuery },
  responses: { 200: { description: 'Page of workspaces', schema: c.workspacePage } },
} satisfies HttpRoute;

export const getWorkspaceRoute = {
  method: 'GET', path: '/v1/workspaces/{workspaceId}', summary: 'Get a workspace', tags,
  request: { params: c.workspaceParams },
  responses: { 200: { description: 'Workspace', schema: c.workspace }, ...notFound },
} satisfies HttpRoute;

export const renameWorkspaceRoute = {
  method: 'PATCH', path: '/v1/workspaces/{workspaceId}', summary: 'Rename a workspace (owners, tenant admins)', tags,
  request: { params: c.workspaceParams, body: c.renameWorkspaceBody },
  responses: { 200: { description: 'Renamed', schema: c.workspace }, ...notFound },
} satisfies HttpRoute;

export const deleteWorkspaceRoute = {
  method: 'DELETE', path: '/v1/workspaces/{workspaceId}', summary: 'Delete a workspace, its members and its messages (owners, tenant admins)', tags,
  request: { params: c.workspaceParams },
  responses: { 204: { description: 'Deleted' }, ...notFound },
} satisfies HttpRoute;

export const addMemberRoute = {
  method: 'POST', path: '/v1/workspaces/{workspaceId}/members', summary: 'Add a member with a role (owners, tenant admins)', tags,
  request: { params: c.workspaceParams, body: c.addMemberBody },
  responses: { 201: { description: 'Added', schema: c.member }, 409: { description: 'Already a member' }, ...notFound },
} satisfies HttpRoute;

export const listMembersRoute = {
  method: 'GET', path: '/v1/workspaces/{workspaceId}/members', summary: 'List the members of a workspace', tags,
  request: { params: c.workspaceParams, query: c.listQuery },
  responses: { 200: { description: 'Page of members', schema: c.memberPage }, ...notFound },
} satisfies HttpRoute;

export const removeMemberRoute = {
  method: 'DELETE', path: '/v1/workspaces/{workspaceId}/members/{userId}', summary: 'Remove a member (owners, tenant admins; anyone may leave)', tags,
  request: { params: c.memberParams },
  responses: { 204: { description: 'Removed' }, 409: { description: 'The last owner cannot be removed' }, ...notFound },
} satisfies HttpRoute;

export const listMessagesRoute = {
  method: 'GET', path: '/v1/workspaces/{workspaceId}/messages', summary: 'Message history of a workspace, newest first', tags,
  request: { params: c.workspaceParams, query: c.messagesQuery },
  responses: { 200: { description: 'Page of messages', schema: c.messagePage }, ...notFound },
} satisfies HttpRoute;
