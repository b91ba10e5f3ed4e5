/**
 * WebSocket connections and their channel subscriptions in the `connections` DynamoDB table:
 *
 *   connection    pk `conn#<id>`  sk `meta`            gsi1pk `user#<tenant>#<user>`  gsi1sk `conn#<id>`
 *   subscription  pk `conn#<id>`  sk `sub#<channel>`   gsi1pk `chan#<channel>`        gsi1sk `conn#<id>`
 *
 * One partition per connection, so `$disconnect` (and pruning a gone connection) finds everything to delete
 * with one Query; gsi1 maps a channel to its subscribed connections for fan-out and presence. `channel` is
 * the event-log name (`workspace:<id>`, `execution:<id>`, `n8n:<tenant>`). No transactions (dynalite has
 * none, and none are needed: every write is one idempotent item); `expiresAt` is the TTL backstop for
 * connections whose `$disconnect` never arrived, and also the moment the connection's credential (a JWT's
 * `exp`) runs out, whichever comes first: fan-out and presence skip items past it (`isLive`), since
 * DynamoDB deletes expired items only eventually.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DeleteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { tables } from '#shared/resources.ts';

import {
  connectionKey,
  isSubscription,
  subscriptionKey,
  userPartition,
  type ConnectionItem,
  type ConnectionRepository,
  type SubscriptionItem,
} from './connection.ts';

export class DynamoConnectionRepository implements ConnectionRepository {
  readonly #db: DynamoDBDocumentClient;
  readonly #table: string;
  constructor(db: DynamoDBDocumentClient, table: string) {
    this.#db = db;
    this.#table = table;
  }

  static fromEnv(): DynamoConnectionRepository {
    const table = process.env[tables.connections.env];
    if (!table) throw new Error(`${tables.connections.env} is not set`);
    return new DynamoConnectionRepository(DynamoDBDocumentClient.from(new DynamoDBClient({})), table);
  }

  async put(item: ConnectionItem): Promise<void> {
    await this.#db.send(new PutCommand({ TableName: this.#table, Item: item }));
  }

  /** Forgets the connection item only; see `removeConnection` for the connection with its subscriptions. */
  async delete(connectionId: string): Promise<void> {
    await this.#db.send(new DeleteCommand({ TableName: this.#table, Key: connectionKey(connectionId) }));
  }

  async putSubscription(item: SubscriptionItem): Promise<void> {
    await this.#db.send(new PutCommand({ TableName: this.#table, Item: item }));
  }

  /** True when there was such a subscription. */
  async deleteSubscription(connectionId: string, channel: string): Promise<boolean> {
    const { Attributes } = await this.#db.send(
      new DeleteCommand({ TableName: this.#table, Key: subscriptionKey(connectionId, channel), ReturnValues: 'ALL_OLD' }),
    );
    return Attributes !== undefined;
  }

  /** Subscriptions to `channel` (all pages of gsi1), or only the first `limit`. */
  async subscribersOf(channel: string, limit?: number): Promise<SubscriptionItem[]> {
    return this.#queryIndex(`chan#${channel}`, isSubscription, limit);
  }

  /**
   * The connections `userId` holds open in `tenantId` (all pages of gsi1's `user#` partition), e.g. to end
   * an API key's sessions when it is revoked. gsi1 is eventually consistent: a connection made within the
   * last moment may be missing; the next action's credential check still refuses it.
   */
  async connectionsOf(tenantId: string, userId: string): Promise<ConnectionItem[]> {
    return this.#queryIndex(userPartition(tenantId, userId), (item): item is ConnectionItem & Record<string, unknown> => item.sk === 'meta');
  }

  /** The items of one gsi1 partition that `keep` accepts, following pages until `limit` (or the end). */
  async #queryIndex<T extends Record<string, unknown>>(
    partition: string,
    keep: (item: Record<string, unknown>) => item is T,
    limit?: number,
  ): Promise<T[]> {
    const items: T[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.#db.send(
        new QueryCommand({
          TableName: this.#table,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :pk',
          ExpressionAttributeValues: { ':pk': partition },
          ExclusiveStartKey: start,
          ...(limit !== undefined ? { Limit: limit - items.length } : {}),
        }),
      );
      for (const item of page.Items ?? []) if (keep(item)) items.push(item);
      start = page.LastEvaluatedKey;
    } while (start && (limit === undefined || items.length < limit));
    return items;
  }

  /** Deletes the connection item and all its subscriptions; returns the subscriptions it had. */
  async removeConnection(connectionId: string): Promise<SubscriptionItem[]> {
    const items: Array<Record<string, unknown>> = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.#db.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `conn#${connectionId}` },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    await this.#deleteAll(items.map((i) => ({ pk: String(i.pk), sk: String(i.sk) })));
    return items.filter(isSubscription);
  }

  /** Deletes subscriptions to `channel` (only `userId`'s when given): a removed member stops receiving. */
  async dropChannel(channel: string, userId?: string): Promise<SubscriptionItem[]> {
    const subs = (await this.subscribersOf(channel)).filter((s) => userId === undefined || s.userId === userId);
    await this.#deleteAll(subs.map((s) => ({ pk: s.pk, sk: s.sk })));
    return subs;
  }

  async #deleteAll(keys: Array<{ pk: string; sk: string }>): Promise<void> {
    for (let i = 0; i < keys.length; i += 25) {
      let requests: Record<string, Array<{ DeleteRequest: { Key: Record<string, unknown> } }>> = {
        [this.#table]: keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } })),
      };
      // BatchWrite may leave items unprocessed under throttling; retry those a few times.
      for (let attempt = 0; attempt < 5 && Object.keys(requests).length > 0; attempt++) {
        const { UnprocessedItems } = await this.#db.send(new BatchWriteCommand({ RequestItems: requests }));
        requests = (UnprocessedItems ?? {}) as typeof requests;
        if (Object.keys(requests).length > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      }
    }
  }
}
