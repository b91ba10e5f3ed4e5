/**
 * The rate limits table on a real DynamoDB emulator (dynalite) for the rate limiter's tests: the table is
 * created with the key schema the stack gives it (tables.rateLimits), and read back through a document client.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { tables } from '#shared/resources.ts';
import { close, listen } from '../../local/http-util.ts';

export interface RateLimitTable {
  /** The emulator's port (for AWS_ENDPOINT_URL_DYNAMODB). */
  port: number;
  db: DynamoDBDocumentClient;
  stop(): Promise<void>;
}

export const startRateLimitTable = async (table: string): Promise<RateLimitTable> => {
  const server = dynalite({ createTableMs: 0 });
  const port = await listen(server, 0);
  const raw = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await raw.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: tables.rateLimits.partitionKey, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: tables.rateLimits.partitionKey, KeyType: 'HASH' }],
    }),
  );
  return {
    port,
    db: DynamoDBDocumentClient.from(raw),
    stop: async () => {
      raw.destroy();
      await close(server);
    },
  };
};
