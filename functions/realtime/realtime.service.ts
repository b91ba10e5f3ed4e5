/**
 * WebSocket use cases: subscribe (with resume), unsubscribe, publish, presence, and leaving on disconnect.
 *
 * Resume without gaps or repeats: a subscription is registered in DynamoDB *before* the log is read, so
 * every event is either in the replay (stored before the read) or fanned out live to this connection
 * (stored after the registration), and around that boundary possibly both. Each frame carries its `seq`:
 * clients keep the last seq they handled and drop anything at or below it, and order by seq (docs/realtime.md).
 */
import type { ChannelEvent } from '#shared/channel-events.ts';
import { logNameOf, type ChannelKinds } from '#shared/channels.ts';
import { BadRequestError, UnauthorizedError } from '#shared/errors.ts';
import type { Principal } from '#shared/principal.ts';
import { kindOf, resolveChannel } from './channel-access.ts';
import { forEachLimit, type PostOutcome } from './channel-fanout.ts';
import { isLive, subscriptionItem, type ConnectionRepository, type SubscriptionItem } from './connection.ts';
import { errorFrameFrom, eventFrameText, presenceEventFrame } from './frames.ts';
import { MESSAGE_KIND } from './workspace.service.ts';

/** Events replayed per subscribe; beyond it the ack says `complete: false` and the client subscribes again. */
export const MAX_REPLAY = 1000;
const REPLAY_PAGE = 200;

export interface RealtimePorts {
  /** The channel kinds the domains registered (workspace, execution, n8n, ...). */
  channels: ChannelKinds;
  subscriptions: Pick<ConnectionRepository, 'putSubscription' | 'deleteSubscription' | 'subscribersOf' | 'removeConnection'>;
  events: {
    listAfter(tenantId: string, channel: string, afterSeq: number, limit: number): Promise<ChannelEvent[]>;
    head(channel: string): Promise<number>;
    append(tenantId: string, channel: string, events: Array<{ kind: string; data?: unknown }>): Promise<ChannelEvent[]>;
  };
  fanout: {
    pushPresence(tenantId: string, channel: string, frame: object): Promise<void>;
    announceLeaves(left: SubscriptionItem[]): Promise<void>;
  };
  /** Posts a frame to the caller's own connection. */
  send(connectionId: string, text: string): Promise<PostOutcome>;
}

export interface Caller {
  principal: Principal;
  connectionId: string;
  connectedAt: Date;
  /** Epoch seconds at which the connection's credential expires (JWTs); API keys do not expire. */
  expiresAt?: number | undefined;
}

/** Whether the credential behind a principal is still live (not revoked): the platform's answer. */
export interface CredentialStatus {
  isActive(principal: Principal): Promise<boolean>;
}

/**
 * Whether the credential the connection was opened with still holds: the authorizer ran once, at `$connect`,
 * and the connection lives up to 2 hours, so a JWT may have expired and an API key been revoked since. The
 * expiry travels in the authorizer context; revocation is the platform's to tell.
 */
export const credentialsHold = async (credentials: CredentialStatus, caller: Caller, now = Date.now()): Promise<boolean> => {
  if (caller.expiresAt !== undefined && caller.expiresAt * 1000 <= now) return false;
  return credentials.isActive(caller.principal);
};

export const STALE_CREDENTIALS_DETAIL = 'The credentials of this connection were revoked or expired; reconnect with a valid token';

export type EndConnectionPorts = Pick<RealtimePorts, 'subscriptions' | 'fanout' | 'send'> & { close(connectionId: string): Promise<void> };

/**
 * Ends a connection whose credentials no longer hold: tells the client why, forgets its subscriptions (its
 * workspaces see it leave), then closes it through the @connections API. Its `$disconnect` finds nothing left.
 */
export const endConnection = async (ports: EndConnectionPorts, connectionId: string, frameId?: string): Promise<void> => {
  await ports.send(connectionId, JSON.stringify(errorFrameFrom(new UnauthorizedError(STALE_CREDENTIALS_DETAIL), frameId)));
  await disconnect(ports, connectionId);
  await ports.close(connectionId);
};

/** At most this many of one user's connections are ended at once. */
const END_CONCURRENCY = 10;

/**
 * Ends every connection `userId` holds open in `tenantId` as `endConnection` does (401 frame, subscriptions
 * removed and announced, closed), e.g. right after an API key is revoked, so no push reaches it in between.
 * One connection failing does not stop the others; their ids come back in `failed`.
 */
export const endSessionsOf = async (
  ports: EndConnectionPorts & { subscriptions: { connectionsOf(tenantId: string, userId: string): Promise<Array<{ connectionId: string }>> } },
  tenantId: string,
  userId: string,
): Promise<{ ended: number; failed: Array<{ connectionId: string; error: unknown }> }> => {
  const found = await ports.subscriptions.connectionsOf(tenantId, userId);
  const failed: Array<{ connectionId: string; error: unknown }> = [];
  await forEachLimit(found, END_CONCURRENCY, async ({ connectionId }) => {
    await endConnection(ports, connectionId).catch((error: unknown) => failed.push({ connectionId, error }));
  });
  return { ended: found.length - failed.length, failed };
};

export const subscribe = async (
  ports: RealtimePorts,
  caller: Caller,
  frame: { channel: string; afterSeq?: number | undefined },
): Promise<object | undefined> => {
  const { principal, connectionId } = caller;
  const channel = await resolveChannel(ports.channels, principal, frame.channel, 'read');
  await ports.subscriptions.putSubscription(subscriptionItem(connectionId, channel.log, principal, caller.connectedAt, new Date(), caller.expiresAt));

  let replayed = 0;
  let complete = true;
  if (frame.afterSeq !== undefined) {
    let last = frame.afterSeq;
    for (;;) {
      const page = await ports.events.listAfter(principal.tenantId, channel.log, last, REPLAY_PAGE);
      for (const event of page) {
        if ((await ports.send(connectionId, eventFrameText(event, ports.channels))) === 'gone') return undefined;
        replayed++;
        last = event.seq;
      }
      if (page.length < REPLAY_PAGE) break;
      if (replayed >= MAX_REPLAY) {
        complete = false;
        break;
      }
    }
  }
  const headSeq = await ports.events.head(channel.log);
  if (channel.kind.presence) {
    await ports.fanout.pushPresence(
      principal.tenantId,
      channel.log,
      presenceEventFrame(channel.log, 'presence.join', principal.userId, connectionId),
    );
  }
  return { type: 'subscribed', channel: channel.name, headSeq, replayed, complete };
};

/** Idempotent; needs no access check (it only removes the caller's own subscription). */
export const unsubscribe = async (ports: RealtimePorts, caller: Caller, frame: { channel: string }): Promise<object> => {
  const { principal, connectionId } = caller;
  const { kind, id } = kindOf(ports.channels, frame.channel);
  const log = logNameOf(kind, id, principal.tenantId);
  const existed = await ports.subscriptions.deleteSubscription(connectionId, log);
  if (existed && kind.presence) {
    await ports.fanout.pushPresence(principal.tenantId, log, presenceEventFrame(log, 'presence.leave', principal.userId, connectionId));
  }
  return { type: 'unsubscribed', channel: frame.channel };
};

/** Stores a message in the workspace's log (next seq) and fans it out to every subscriber, the sender too. */
export const publish = async (ports: RealtimePorts, caller: Caller, frame: { channel: string; data: unknown }): Promise<object> => {
  const { principal } = caller;
  const channel = await resolveChannel(ports.channels, principal, frame.channel, 'write');
  const [stored] = await ports.events.append(principal.tenantId, channel.log, [
    { kind: MESSAGE_KIND, data: { userId: principal.userId, body: frame.data } },
  ]);
  return { type: 'published', channel: channel.name, seq: stored!.seq };
};

export const presence = async (ports: RealtimePorts, caller: Caller, frame: { channel: string }): Promise<object> => {
  const channel = await resolveChannel(ports.channels, caller.principal, frame.channel, 'read');
  if (!channel.kind.presence) {
    const kept = [...ports.channels.values()].filter((k) => k.presence).map((k) => `${k.kind}:<id>`);
    throw new BadRequestError(`Presence is not kept for ${channel.kind.kind} channels`, [
      { path: 'channel', message: `Expected ${kept.join(' or ')}` },
    ]);
  }
  const members = new Map<string, string[]>();
  for (const sub of await ports.subscriptions.subscribersOf(channel.log)) {
    if (sub.tenantId === caller.principal.tenantId && isLive(sub)) members.set(sub.userId, [...(members.get(sub.userId) ?? []), sub.connectionId]);
  }
  return {
    type: 'presence',
    channel: channel.name,
    members: [...members].sort(([a], [b]) => a.localeCompare(b)).map(([userId, connectionIds]) => ({ userId, connectionIds })),
  };
};

/** `$disconnect`: forget the connection and its subscriptions; its workspaces see it leave. */
export const disconnect = async (ports: Pick<RealtimePorts, 'subscriptions' | 'fanout'>, connectionId: string): Promise<void> => {
  const left = await ports.subscriptions.removeConnection(connectionId);
  await ports.fanout.announceLeaves(left);
};
