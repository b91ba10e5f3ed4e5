/** Realtime domain entries of the route manifest (gathered by lib/routes.ts). */
import * as routes from '#functions/realtime/realtime.routes.ts';
import type { Access, FunctionSpec, HttpRoute } from '../route-manifest.types.ts';

const rest = (name: string, file: string, route: HttpRoute, description: string, access: Access = { database: true }): FunctionSpec => ({
  name,
  domain: 'realtime',
  entry: `functions/realtime/${file}.handler.ts`,
  description,
  http: [route],
  access,
});

/** Subscription changes and fan-out: DynamoDB plus the @connections API (gone connections are pruned). */
const live: Access = { tables: { connections: 'readwrite' }, websocketManagement: true };

/**
 * Every routed action first re-checks the connection's credentials (an API key: one lookup in `api_keys`)
 * and ends a lapsed connection (its subscriptions removed, DeleteConnection), hence database + live.
 */
const action: Access = { database: true, ...live };

export const functions: FunctionSpec[] = [
  {
    name: 'ws-connect',
    domain: 'realtime',
    entry: 'functions/realtime/connect.handler.ts',
    description: 'Records a WebSocket connection and its principal',
    websocket: ['$connect'],
    access: { tables: { connections: 'readwrite' } },
  },
  {
    name: 'ws-disconnect',
    domain: 'realtime',
    entry: 'functions/realtime/disconnect.handler.ts',
    description: 'Forgets a WebSocket connection and its subscriptions; announces presence leaves',
    websocket: ['$disconnect'],
    access: live,
  },
  {
    name: 'ws-default',
    domain: 'realtime',
    entry: 'functions/realtime/default.handler.ts',
    description: 'Answers ping and reports unknown actions as error frames',
    websocket: ['$default', 'ping'],
    access: action,
  },
  {
    name: 'ws-subscribe',
    domain: 'realtime',
    entry: 'functions/realtime/subscribe.handler.ts',
    description: 'Subscribes a connection to a channel, replaying missed events (afterSeq)',
    websocket: ['subscribe'],
    access: action,
  },
  {
    name: 'ws-unsubscribe',
    domain: 'realtime',
    entry: 'functions/realtime/unsubscribe.handler.ts',
    description: 'Unsubscribes a connection from a channel',
    websocket: ['unsubscribe'],
    access: action,
  },
  {
    name: 'ws-publish',
    domain: 'realtime',
    entry: 'functions/realtime/publish.handler.ts',
    description: 'Stores a workspace message and fans it out to the subscribers',
    websocket: ['publish'],
    access: action,
  },
  {
    name: 'ws-presence',
    domain: 'realtime',
    entry: 'functions/realtime/presence.handler.ts',
    description: 'Who is connected to a workspace now',
    websocket: ['presence'],
    access: action,
  },
  rest('create-workspace', 'create-workspace', routes.createWorkspaceRoute, 'Creates a workspace'),
  rest('list-workspaces', 'list-workspaces', routes.listWorkspacesRoute, "Lists the caller's workspaces"),
  rest('get-workspace', 'get-workspace', routes.getWorkspaceRoute, 'Gets a workspace'),
  rest('rename-workspace', 'rename-workspace', routes.renameWorkspaceRoute, 'Renames a workspace'),
  rest('delete-workspace', 'delete-workspace', routes.deleteWorkspaceRoute, 'Deletes a workspace and ends its subscriptions', { database: true, tables: { connections: 'readwrite' } }),
  rest('add-workspace-member', 'add-workspace-member', routes.addMemberRoute, 'Adds a workspace member'),
  rest('list-workspace-members', 'list-workspace-members', routes.listMembersRoute, 'Lists workspace members'),
  rest('remove-workspace-member', 'remove-workspace-member', routes.removeMemberRoute, "Removes a workspace member and ends their subscriptions", { database: true, tables: { connections: 'readwrite' } }),
  rest('list-workspace-messages', 'list-workspace-messages', routes.listMessagesRoute, 'Reads workspace message history'),
];
