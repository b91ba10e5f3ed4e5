/**
 * WebSocket connections and their channel subscriptions: the items, how long they live, and the storage port
 * (DynamoDB in connection.repository.ts, whose header shows the table layout).
 */
import type { Principal } from '#shared/principal.ts';

/** API Gateway closes a WebSocket after 2 hours at most; the TTL cleans up when $disconnect never came. */
export const CONNECTION_TTL_SECONDS = 2 * 60 * 60;

export interface ConnectionItem {
  pk: string;
  sk: 'meta';
  connectionId: string;
  userId: string;
  tenantId: string;
  roles: string;
  connectedAt: string;
  expiresAt: number;
  /** Connections of one user in one tenant, for pushing to a person rather than a socket. */
  gsi1pk: string;
  gsi1sk: string;
}

export interface SubscriptionItem {
  pk: string;
  sk: string;
  connectionId: string;
  channel: string;
  userId: string;
  tenantId: string;
  subscribedAt: string;
  expiresAt: number;
  gsi1pk: string;
  gsi1sk: string;
}

export const connectionKey = (connectionId: string) => ({ pk: `conn#${connectionId}`, sk: 'meta' as const });
export const userPartition = (tenantId: string, userId: string) => `user#${tenantId}#${userId}`;
export const subscriptionKey = (connectionId: string, channel: string) => ({ pk: `conn#${connectionId}`, sk: `sub#${channel}` });

/** Epoch seconds: two hours after connect, or earlier when the credential (`credentialExpiresAt`) expires first. */
const expiresAt = (connectedAt: Date, credentialExpiresAt?: number): number =>
  Math.min(Math.floor(connectedAt.getTime() / 1000) + CONNECTION_TTL_SECONDS, credentialExpiresAt ?? Infinity);

/** False once the item's connection or credential has expired (DynamoDB's TTL may not have removed it yet). */
export const isLive = (item: { expiresAt: number }, now = Date.now()): boolean => item.expiresAt * 1000 > now;

export const connectionItem = (connectionId: string, principal: Principal, now: Date, credentialExpiresAt?: number): ConnectionItem => ({
  ...connectionKey(connectionId),
  connectionId,
  userId: principal.userId,
  tenantId: principal.tenantId,
  roles: principal.roles.join(','),
  connectedAt: now.toISOString(),
  expiresAt: expiresAt(now, credentialExpiresAt),
  gsi1pk: userPartition(principal.tenantId, principal.userId),
  gsi1sk: `conn#${connectionId}`,
});

/** A subscription lives no longer than its connection can (2 h from connect), nor past its credential's expiry. */
export const subscriptionItem = (
  connectionId: string,
  channel: string,
  principal: Principal,
  connectedAt: Date,
  now: Date,
  credentialExpiresAt?: number,
): SubscriptionItem => ({
  ...subscriptionKey(connectionId, channel),
  connectionId,
  channel,
  userId: principal.userId,
  tenantId: principal.tenantId,
  subscribedAt: now.toISOString(),
  expiresAt: expiresAt(connectedAt, credentialExpiresAt),
  gsi1pk: `chan#${channel}`,
  gsi1sk: `conn#${connectionId}`,
});

export const isSubscription = (item: Record<string, unknown>): item is SubscriptionItem & Record<string, unknown> =>
  typeof item.sk === 'string' && item.sk.startsWith('sub#');

/** The storage port of connections and subscriptions. */
export interface ConnectionRepository {
  put(item: ConnectionItem): Promise<void>;
  /** Forgets the connection item only; see `removeConnection` for the connection with its subscriptions. */
  delete(connectionId: string): Promise<void>;
  putSubscription(item: SubscriptionItem): Promise<void>;
  /** True when there was such a subscription. */
  deleteSubscription(connectionId: string, channel: string): Promise<boolean>;
  /** Subscriptions to `channel` (all pages of gsi1), or only the first `limit`. */
  subscribersOf(channel: string, limit?: number): Promise<SubscriptionItem[]>;
  connectionsOf(tenantId: string, userId: string): Promise<ConnectionItem[]>;
  /** Deletes the connection item and all its subscriptions; returns the subscriptions it had. */
  removeConnection(connectionId: string): Promise<SubscriptionItem[]>;
  /** Deletes subscriptions to `channel` (only `userId`'s when given): a removed member stops receiving. */
  dropChannel(channel: string, userId?: string): Promise<SubscriptionItem[]>;
}
