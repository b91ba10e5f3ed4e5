/**
 * The local runtime with the platform's real handlers (functions/manifest.ts), talked to like a client:
 * health over HTTP, WebSocket connect with/without a token, ping/pong, @connections through the AWS SDK,
 * and an execution of the echo state machine through @aws-sdk/client-sfn.
 */
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startTestRuntime();
});
afterAll(() => rt?.stop());

it('answers GET /health without credentials', async () => {
  const res = await rt.fetchJson('/health');
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ status: 'ok' });
});

it('authenticates the minted admin key', async () => {
  const res = await rt.fetchJson('/v1/me', { headers: { 'x-api-key': rt.apiKey } });
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ tenantId: 'default', roles: ['admin'] });
});

describe('WebSocket', () => {
  it('refuses a connect without a token or with a bad one', async () => {
    expect((await rt.connect()).refusedStatus).toBe(401);
    expect((await rt.connect('mls_not-a-real-key')).refusedStatus).toBe(401);
  });

  it('accepts a JWT and an API key, and answers ping with pong', async () => {
    for (const token of [await rt.mintJwt(), rt.apiKey]) {
      const ws = await rt.connect(token);
      expect(ws.opened).toBe(true);
      ws.send({ action: 'ping' });
      expect(await ws.nextMessage((m) => m.type === 'pong')).toEqual({ type: 'pong' });
      await ws.close();
    }
  });

  it('lets @connections reach the client, describe it, and close it; unknown ids are gone', async () => {
    const sub = `user-${Date.now()}`;
    const ws = await rt.connect(await rt.mintJwt({ sub }));
    // The $connect handler recorded the connection; find its id the way a pushing handler would.
    const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const { Items } = await db.send(
      new QueryCommand({
        TableName: rt.env.CONNECTIONS_TABLE,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': `user#default#${sub}` },
      }),
    );
    const connectionId = Items?.[0]?.connectionId as string;
    expect(connectionId).toBeTruthy();

    const client = new ApiGatewayManagementApiClient({ endpoint: rt.env.WEBSOCKET_CALLBACK_URL });
    await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: JSON.stringify({ type: 'event', hello: 1 }) }));
    expect(await ws.nextMessage((m) => m.type === 'event')).toEqual({ type: 'event', hello: 1 });
    const info = await client.send(new GetConnectionCommand({ ConnectionId: connectionId }));
    expect(info.ConnectedAt).toBeInstanceOf(Date);
    await client.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    await ws.closed;
    await expect(client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'x' }))).rejects.toBeInstanceOf(GoneException);
  });
});

it('runs the echo state machine through @aws-sdk/client-sfn', async () => {
  const sfn = new SFNClient({});
  const { executionArn } = await sfn.send(
    new StartExecutionCommand({ stateMachineArn: rt.env.ECHO_STATE_MACHINE_ARN, input: JSON.stringify({ say: 'hi' }) }),
  );
  let status = 'RUNNING';
  let output: string | undefined;
  for (let i = 0; i < 200 && status === 'RUNNING'; i++) {
    ({ status = 'RUNNING', output } = await sfn.send(new DescribeExecutionCommand({ executionArn })));
    if (status === 'RUNNING') await new Promise((r) => setTimeout(r, 50));
  }
  expect(status).toBe('SUCCEEDED');
  expect(JSON.parse(output!)).toMatchObject({ say: 'hi', echo: { echoed: { say: 'hi' } } });
});
