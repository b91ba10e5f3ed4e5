/**
 * The realtime domain's composition root: its ports wired to their adapters (DynamoDB connections, the
 * @connections API, PostgreSQL workspaces and event log), and the channel kinds the owning domains register.
 * Built once per cold start, lazily, so a handler only opens what it uses.
 */
import { executionChannel } from '#functions/agents/agents.public.ts';
import { n8nChannel } from '#functions/n8n-monitor/n8n-monitor.public.ts';
import { credentialStatus as platformCredentialStatus } from '#functions/platform/platform.public.ts';
import { ChannelEventStore } from '#shared/channel-events.ts';
import { channelKinds, type ChannelKinds } from '#shared/channels.ts';
import { getPool } from '#shared/db.ts';
import { connectionsApi } from '#shared/websocket.ts';
import { ChannelFanout } from './channel-fanout.ts';
import { DynamoConnectionRepository } from './connection.repository.ts';
import type { ConnectionRepository } from './connection.ts';
import { createEventFanout } from './event-fanout.ts';
import type { CredentialStatus } from './realtime.service.ts';
import { workspaceChannelKind } from './workspace.access.ts';
import { PgWorkspaceRepository } from './workspace.repository.ts';
import type { WorkspaceRepository } from './workspace.ts';

let connectionRepo: ConnectionRepository | undefined;
let channelFanout: ChannelFanout | undefined;
let kinds: ChannelKinds | undefined;

export const connections = (): ConnectionRepository => (connectionRepo ??= DynamoConnectionRepository.fromEnv());

export const workspaces = async (): Promise<WorkspaceRepository> => new PgWorkspaceRepository(await getPool());

/**
 * Every channel kind a client may name, each from the domain that owns it: workspaces (here), executions
 * (agents), the tenant's n8n feed (n8n-monitor). Their checks open the database only when they run.
 */
export const channels = (): ChannelKinds =>
  (kinds ??= channelKinds([workspaceChannelKind({ find: async (...args) => (await workspaces()).find(...args) }), executionChannel(), n8nChannel()]));

/** Presence frames and replies go straight to connections (nothing stored). */
export const fanout = (): ChannelFanout => (channelFanout ??= new ChannelFanout(connections(), connectionsApi(), channels()));

/** Whether the credential of a connection still holds: the platform's answer (API keys may be revoked). */
export const credentialStatus = (): CredentialStatus => platformCredentialStatus();

/**
 * Publishing stores, then fans out with the same port the other domains use (push failures logged, not thrown).
 * One store per container, as the other domains keep theirs: built per publish, it built a DynamoDB client
 * for the fan-out on every publish.
 */
let events: Promise<ChannelEventStore> | undefined;
export const channelEvents = (): Promise<ChannelEventStore> => {
  events ??= getPool().then((pool) => new ChannelEventStore(pool, createEventFanout({ channels: channels() })));
  events.catch(() => (events = undefined));
  return events;
};
