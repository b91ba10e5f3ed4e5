/** WebSocket connections in the `connections` DynamoDB table (pk `conn#<id>`, sk `meta`, TTL `expiresAt`). */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { tables } from '#lib/resources.ts';
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

export const connectionKey = (connectionId: string) => ({ pk: `conn#${connectionId}`, sk: 'meta' as const });

export const connectionItem = (connectionId: string, principal: Principal, now: Date): ConnectionItem => ({
  ...connectionKey(connectionId),
  connectionId,
  userId: principal.userId,
  tenantId: principal.tenantId,
  roles: principal.roles.join(','),
  connectedAt: now.toISOString(),
  expiresAt: Math.floor(now.getTime() / 1000) + CONNECTION_TTL_SECONDS,
  gsi1pk: `user#${principal.tenantId}#${principal.userId}`,
  gsi1sk: `conn#${connectionId}`,
});

export class ConnectionRepository {
  readonly #db: DynamoDBDocumentClient;
  readonly #table: string;
  constructor(db: DynamoDBDocumentClient, table: string) {
    this.#db = db;
    this.#table = table;
  }

  static fromEnv(): ConnectionRepository {
    const table = process.env[tables.connections.env];
    if (!table) throw new Error(`${tables.connections.env} is not set`);
    return new ConnectionRepository(DynamoDBDocumentClient.from(new DynamoDBClient({})), table);
  }

  async put(item: ConnectionItem): Promise<void> {
    await this.#db.send(new PutCommand({ TableName: this.#table, Item: item }));
  }

  async delete(connectionId: string): Promise<void> {
    await this.#db.send(new DeleteCommand({ TableName: this.#table, Key: connectionKey(connectionId) }));
  }
}
