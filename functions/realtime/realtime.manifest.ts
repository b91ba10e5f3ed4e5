/**
 * The realtime domain: workspaces over REST, and the WebSocket API's routes (connect, disconnect, subscribe,
 * publish, presence, ping). Each REST route is declared once with the function that answers it; handlers
 * import their route from here.
 */
import { defineDomain, type Access, type RestEndpoint } from '#shared/manifest.types.ts';
import * as c from './realtime.contracts.ts';

const tags = ['realtime'];
const entry = (file: string): string => `functions/realtime/${file}.handler.ts`;
const database: Access = { database: true };
/** Ends live subscriptions to the workspace (or of the removed member) in the connections table. */
const endsSubscriptions: Access = { database: true, tables: { connections: 'readwrite' } };
const notFound = { 404: { description: 'No such workspace in your tenant, or you are not a member' } };

export const createWorkspaceRoute = {
  method: 'POST',
  path: '/v1/workspaces',
  roles: ['admin', 'developer'],
  summary: 'Create a workspace (the caller becomes its owner)',
  tags,
  request: { body: c.createWorkspaceBody },
  responses: { 201: { description: 'Created', schema: c.workspace } },
  lambda: { name: 'create-workspace', entry: entry('create-workspace'), access: database },
} satisfies RestEndpoint;

export const listWorkspacesRoute = {
  method: 'GET',
  path: '/v1/workspaces',
  summary: "Workspaces the caller is a member of (tenant admins: all of the tenant's)",
  tags,
  request: { query: c.listQuery },
  responses: { 200: { description: 'Page of workspaces', schema: c.workspacePage } },
  lambda: { name: 'list-workspaces', entry: entry('list-workspaces'), access: database },
} satisfies RestEndpoint;

export const getWorkspaceRoute = {
  method: 'GET',
  path: '/v1/workspaces/{workspaceId}',
  summary: 'Get a workspace',
  tags,
  request: { params: c.workspaceParams },
  responses: { 200: { description: 'Workspace', schema: c.workspace }, ...notFound },
  lambda: { name: 'get-workspace', entry: entry('get-workspace'), access: database },
} satisfies RestEndpoint;

export const renameWorkspaceRoute = {
  method: 'PATCH',
  path: '/v1/workspaces/{workspaceId}',
  summary: 'Rename a workspace (owners, tenant admins)',
  tags,
  request: { params: c.workspaceParams, body: c.renameWorkspaceBody },
  responses: { 200: { description: 'Renamed', schema: c.workspace }, ...notFound },
  lambda: { name: 'rename-workspace', entry: entry('rename-workspace'), access: database },
} satisfies RestEndpoint;

export const deleteWorkspaceRoute = {
  method: 'DELETE',
  path: '/v1/workspaces/{workspaceId}',
  summary: 'Delete a workspace, its members and its messages (owners, tenant admins)',
  tags,
  request: { params: c.workspaceParams },
  responses: { 204: { description: 'Deleted' }, ...notFound },
  lambda: {
    name: 'delete-workspace',
    entry: entry('delete-workspace'),
    description: 'Deletes a workspace and ends its subscriptions',
    access: endsSubscriptions,
  },
} satisfies RestEndpoint;

export const addMemberRoute = {
  method: 'POST',
  path: '/v1/workspaces/{workspaceId}/members',
  summary: 'Add a member with a role (owners, tenant admins)',
  tags,
  request: { params: c.workspaceParams, body: c.addMemberBody },
  responses: { 201: { description: 'Added', schema: c.member }, 409: { description: 'Already a member' }, ...notFound },
  lambda: { name: 'add-workspace-member', entry: entry('add-workspace-member'), access: database },
} satisfies RestEndpoint;

export const listMembersRoute = {
  method: 'GET',
  path: '/v1/workspaces/{workspaceId}/members',
  summary: 'List the members of a workspace',
  tags,
  request: { params: c.workspaceParams, query: c.listQuery },
  responses: { 200: { description: 'Page of members', schema: c.memberPage }, ...notFound },
  lambda: { name: 'list-workspace-members', entry: entry('list-workspace-members'), access: database },
} satisfies RestEndpoint;

export const removeMemberRoute = {
  method: 'DELETE',
  path: '/v1/workspaces/{workspaceId}/members/{userId}',
  summary: 'Remove a member (owners, tenant admins; anyone may leave)',
  tags,
  request: { params: c.memberParams },
  responses: { 204: { description: 'Removed' }, 409: { description: 'The last owner cannot be removed' }, ...notFound },
  lambda: {
    name: 'remove-workspace-member',
    entry: entry('remove-workspace-member'),
    description: 'Removes a workspace member and ends their subscriptions',
    access: endsSubscriptions,
  },
} satisfies RestEndpoint;

export const listMessagesRoute = {
  method: 'GET',
  path: '/v1/workspaces/{workspaceId}/messages',
  summary: 'Message history of a workspace, newest first',
  tags,
  request: { params: c.workspaceParams, query: c.messagesQuery },
  responses: { 200: { description: 'Page of messages', schema: c.messagePage }, ...notFound },
  lambda: { name: 'list-workspace-messages', entry: entry('list-workspace-messages'), access: database },
} satisfies RestEndpoint;

/** Subscription changes and fan-out: DynamoDB plus the @connections API (gone connections are pruned). */
const live: Access = { tables: { connections: 'readwrite' }, websocketManagement: true };

/**
 * Every routed action not marked `readOnly` (today `publish`, which appends to a channel's log) is audited by the
 * action stack (ws-action.ts); functions/manifest.ts grants those the event bus.
 *
 * Every routed action first re-checks the connection's credentials (an API key: one lookup through the
 * platform's public module) and ends a lapsed connection (its subscriptions removed, DeleteConnection),
 * hence database + live.
 */
const action: Access = { database: true, ...live };

export const realtimeManifest = defineDomain({
  domain: 'realtime',
  endpoints: [
    createWorkspaceRoute,
    listWorkspacesRoute,
    getWorkspaceRoute,
    renameWorkspaceRoute,
    deleteWorkspaceRoute,
    addMemberRoute,
    listMembersRoute,
    removeMemberRoute,
    listMessagesRoute,
  ],
  functions: [
    {
      name: 'ws-connect',
      entry: entry('connect'),
      description: 'Records a WebSocket connection and its principal',
      websocket: ['$connect'],
      access: { tables: { connections: 'readwrite' } },
    },
    {
      name: 'ws-disconnect',
      entry: entry('disconnect'),
      description: 'Forgets a WebSocket connection and its subscriptions; announces presence leaves',
      websocket: ['$disconnect'],
      access: live,
    },
    {
      name: 'ws-default',
      entry: entry('default'),
      description: 'Answers ping and reports unknown actions as error frames',
      websocket: ['$default', 'ping'],
      readOnly: true,
      access: action,
    },
    {
      name: 'ws-subscribe',
      entry: entry('subscribe'),
      description: 'Subscribes a connection to a channel, replaying missed events (afterSeq)',
      websocket: ['subscribe'],
      // Subscriptions are the connection's own session state (gone with it, TTL-bounded), not a stored resource.
      readOnly: true,
      access: action,
    },
    {
      name: 'ws-unsubscribe',
      entry: entry('unsubscribe'),
      description: 'Unsubscribes a connection from a channel',
      websocket: ['unsubscribe'],
      readOnly: true,
      access: action,
    },
    {
      name: 'ws-publish',
      entry: entry('publish'),
      description: 'Stores a workspace message and fans it out to the subscribers',
      websocket: ['publish'],
      access: action,
    },
    {
      name: 'ws-presence',
      entry: entry('presence'),
      description: 'Who is connected to a workspace now',
      websocket: ['presence'],
      readOnly: true,
      access: action,
    },
  ],
});
