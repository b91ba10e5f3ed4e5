/**
 * The local gateways' mechanics, through fixture handlers (test/local/fixtures): API Gateway event shapes,
 * authorizer verdicts, routing errors, limits, @connections, and the Step Functions endpoint incl.
 * `.waitForTaskToken`. The platform's own handlers are exercised in platform.test.ts.
 */
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { fixtureManifest } from './fixtures/manifest.ts';

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startTestRuntime({ manifest: fixtureManifest, websocket: { idleTimeoutMs: 1500 } });
});
afterAll(() => rt?.stop());

const auth = { 'x-api-key': 'good' };

describe('REST gateway', () => {
  it('builds a v1 REST proxy event with path, query, body and authorizer context', async () => {
    const res = await rt.fetchJson('/v1/echo/a%20b?x=1&x=2&y=3', { method: 'POST', headers: { ...auth, 'X-Custom': 'v' }, json: { hello: 'world' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-amzn-requestid')).toBe(res.body.requestContext.requestId);
    expect(res.body).toMatchObject({
      resource: '/v1/echo/{id}',
      path: '/v1/echo/a b',
      httpMethod: 'POST',
      pathParameters: { id: 'a b' },
      queryStringParameters: { x: '2', y: '3' },
      multiValueQueryStringParameters: { x: ['1', '2'], y: ['3'] },
      body: '{"hello":"world"}',
      isBase64Encoded: false,
      requestContext: {
        stage: 'local',
        resourcePath: '/v1/echo/{id}',
        identity: { sourceIp: '127.0.0.1' },
        authorizer: { principalId: 'user-1', userId: 'user-1', tenantId: 'default', roles: 'admin' },
      },
    });
    expect(res.body.headers['X-Custom']).toBe('v');
    expect(res.body.multiValueHeaders['X-Custom']).toEqual(['v']);
  });

  it('passes binary bodies base64-encoded', async () => {
    const bytes = Buffer.from([0, 1, 2, 255]);
    const res = await rt.fetchJson('/v1/echo/bin', { method: 'POST', headers: { ...auth, 'content-type': 'application/octet-stream' }, body: bytes });
    expect(res.body.isBase64Encoded).toBe(true);
    expect(Buffer.from(res.body.body, 'base64')).toEqual(bytes);
  });

  it('decodes path parameters, including an encoded slash', async () => {
    const res = await rt.fetchJson('/v1/echo/a%2Fb%C3%A9', { headers: auth });
    expect(res.body.pathParameters).toEqual({ id: 'a/bé' });
  });

  it('prefers a literal path segment over a parameter', async () => {
    const res = await rt.fetchJson('/v1/echo/special', { headers: auth });
    expect(res.body.resource).toBe('/v1/echo/special');
    expect(res.body.pathParameters).toBeNull();
  });

  it('skips the authorizer on auth: none routes', async () => {
    const res = await rt.fetchJson('/health');
    expect(res.status).toBe(200);
    expect(res.body.requestContext.authorizer).toBeUndefined();
  });

  it('answers 401 without credentials and 403 on a Deny policy, as problem+json', async () => {
    const none = await rt.fetchJson('/v1/echo/x');
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toBe('application/problem+json');
    expect(none.body).toMatchObject({ status: 401, title: 'Unauthorized' });
    const denied = await rt.fetchJson('/v1/echo/x', { headers: { 'x-api-key': 'deny' } });
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ status: 403, title: 'Forbidden' });
  });

  it('answers 404 for unknown routes and 405 for a known path with another method', async () => {
    const missing = await rt.fetchJson('/v1/nothing', { headers: auth });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
    const wrong = await rt.fetchJson('/v1/echo/x', { method: 'DELETE', headers: auth });
    expect(wrong.status).toBe(405);
    expect(wrong.body.status).toBe(405);
  });

  it('refuses bodies over 10 MB with 413', async () => {
    const res = await rt.fetchJson('/v1/echo/big', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/plain' },
      body: 'x'.repeat(10 * 1024 * 1024 + 1),
    });
    expect(res.status).toBe(413);
    expect(res.body.status).toBe(413);
  });

  it('answers CORS preflight on known paths without credentials', async () => {
    const res = await fetch(`${rt.restUrl}/v1/echo/x`, {
      method: 'OPTIONS',
      headers: { origin: 'http://example.test', 'access-control-request-method': 'POST' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')?.split(',')).toEqual(expect.arrayContaining(['GET', 'POST']));
    expect(res.headers.get('access-control-allow-headers')).toMatch(/x-api-key/i);
  });
});

describe('WebSocket gateway', () => {
  it('refuses the upgrade without a valid token and when $connect answers non-2xx', async () => {
    expect((await rt.connect()).refusedStatus).toBe(401);
    expect((await rt.connect('wrong')).refusedStatus).toBe(401);
    expect((await rt.connect('good', { refuse: '1' })).refusedStatus).toBe(403);
  });

  it('routes frames by action, else $default, with the authorizer context', async () => {
    const ws = await rt.connect('good');
    expect(ws.opened).toBe(true);
    ws.send({ action: 'ping' });
    expect(await ws.nextMessage((m) => m.type === 'pong')).toMatchObject({ type: 'pong', userId: 'user-1' });
    ws.send({ action: 'unknown-action', x: 1 });
    expect(await ws.nextMessage((m) => m.type === 'echo')).toMatchObject({ routeKey: '$default' });
    ws.send('not json');
    expect(await ws.nextMessage((m) => m.type === 'echo' && m.body === 'not json')).toMatchObject({ routeKey: '$default' });
    await ws.close();
  });

  it('serves @connections to the AWS SDK: post, get, delete, GoneException', async () => {
    const ws = await rt.connect('good');
    ws.send({ action: 'ping' });
    const { connectionId } = await ws.nextMessage((m) => m.type === 'pong');
    const client = new ApiGatewayManagementApiClient({ endpoint: rt.env.WEBSOCKET_CALLBACK_URL });

    await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: JSON.stringify({ pushed: true }) }));
    expect(await ws.nextMessage((m) => m.pushed)).toEqual({ pushed: true });

    const info = await client.send(new GetConnectionCommand({ ConnectionId: connectionId }));
    expect(info.ConnectedAt).toBeInstanceOf(Date);
    expect(info.Identity?.SourceIp).toBe('127.0.0.1');

    await client.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    await ws.closed;
    await expect(client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'x' }))).rejects.toBeInstanceOf(GoneException);
    await expect(client.send(new GetConnectionCommand({ ConnectionId: 'unknown' }))).rejects.toBeInstanceOf(GoneException);
  });

  it('closes a frame over 128 KB with 1009', async () => {
    const ws = await rt.connect('good');
    ws.send('x'.repeat(128 * 1024 + 1));
    expect((await ws.closed).code).toBe(1009);
  });

  it('closes idle connections (limit shortened for the test)', async () => {
    const ws = await rt.connect('good');
    expect((await ws.closed).code).toBe(1001);
  });
});

describe('Step Functions endpoint', () => {
  const sfn = () => new SFNClient({ endpoint: rt.env.AWS_ENDPOINT_URL_SFN });

  const waitFor = async (arn: string, status: string) => {
    for (let i = 0; i < 100; i++) {
      const d = await sfn().send(new DescribeExecutionCommand({ executionArn: arn }));
      if (d.status === status) return d;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`execution never reached ${status}`);
  };

  it('runs the echo state machine', async () => {
    const { executionArn } = await sfn().send(
      new StartExecutionCommand({ stateMachineArn: rt.env.ECHO_STATE_MACHINE_ARN, input: JSON.stringify({ hello: 1 }) }),
    );
    const done = await waitFor(executionArn!, 'SUCCEEDED');
    expect(JSON.parse(done.output!)).toEqual({ hello: 1, echo: { echoed: { hello: 1 } } });
    const history = await sfn().send(new GetExecutionHistoryCommand({ executionArn }));
    expect(history.events?.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
  });

  it('waits for a task token and resumes on SendTaskSuccess', async () => {
    const arn = rt.env.ECHO_STATE_MACHINE_ARN!.replace(/echo$/, 'wait');
    const { executionArn } = await sfn().send(new StartExecutionCommand({ stateMachineArn: arn, input: '{"n":1}' }));
    let token: string | undefined;
    for (let i = 0; i < 100 && !token; i++) {
      token = (globalThis as { lastTaskToken?: string }).lastTaskToken;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await sfn().send(new DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');
    await sfn().send(new SendTaskSuccessCommand({ taskToken: token, output: '{"ok":true}' }));
    const done = await waitFor(executionArn!, 'SUCCEEDED');
    expect(JSON.parse(done.output!)).toEqual({ n: 1, result: { ok: true } });
  });

  it('stops a running execution', async () => {
    const arn = rt.env.ECHO_STATE_MACHINE_ARN!.replace(/echo$/, 'wait');
    const { executionArn } = await sfn().send(new StartExecutionCommand({ stateMachineArn: arn, input: '{}' }));
    await sfn().send(new StopExecutionCommand({ executionArn }));
    expect((await sfn().send(new DescribeExecutionCommand({ executionArn }))).status).toBe('ABORTED');
  });
});
