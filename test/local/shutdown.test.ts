/**
 * How the local gateways stop (what `npm start` does on Ctrl-C, in local/runtime.ts): idle keep-alive
 * connections are closed at once, requests in flight may finish within the grace period and are dropped
 * after it, WebSocket clients get a 1001 close and their `$disconnect` handlers a bounded time. Servers and
 * handlers are stubs here, no PostgreSQL or emulators; the CLI as a whole is in start.test.ts.
 */
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { FunctionSpec } from '#shared/manifest.types.ts';
import { close, listen } from '../../local/http-util.ts';
import type { LocalLambdas } from '../../local/lambda.ts';
import { createWebSocketGateway } from '../../local/websocket-gateway.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A server whose handler answers after `?ms=` milliseconds (never, for `?ms=never`). */
async function slowServer(): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    const ms = new URL(req.url ?? '/', 'http://x').searchParams.get('ms') ?? '0';
    if (ms !== 'never') setTimeout(() => res.end('ok'), Number(ms));
  });
  const port = await listen(server, 0);
  cleanups.push(() => server.closeAllConnections());
  return { server, port };
}

function get(port: number, agent: http.Agent, path: string): Promise<{ status?: number; connection?: string; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode, connection: res.headers.connection, body }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

const keepAlive = () => {
  const agent = new http.Agent({ keepAlive: true });
  cleanups.push(() => agent.destroy());
  return agent;
};

describe('close() of an HTTP server', () => {
  it('closes an idle keep-alive connection at once', async () => {
    const { server, port } = await slowServer();
    const agent = keepAlive();
    expect((await get(port, agent, '/')).connection).toBe('keep-alive');
    const started = performance.now();
    await close(server, 2_000);
    expect(performance.now() - started).toBeLessThan(200);
  });

  it('lets a keep-alive request in flight finish, then closes its connection without waiting for keepAliveTimeout', async () => {
    const { server, port } = await slowServer();
    const agent = keepAlive();
    const inFlight = get(port, agent, '/?ms=150');
    await sleep(30);
    const started = performance.now();
    await close(server, 2_000);
    // Answered (still `keep-alive`: Node does not change that once close() is called), and close() did not
    // then wait for the idle socket's 5 s keepAliveTimeout nor for the 2 s drain.
    expect(await inFlight).toMatchObject({ status: 200, body: 'ok' });
    expect(performance.now() - started).toBeLessThan(600);
  });

  it('drops a request still in flight when the drain time is up', async () => {
    const { server, port } = await slowServer();
    const inFlight = get(port, keepAlive(), '/?ms=never');
    await sleep(30);
    const started = performance.now();
    await close(server, 300);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(800);
    await expect(inFlight).rejects.toThrow();
  });
});

describe('close() of the WebSocket gateway', () => {
  const spec = (name: string, websocket?: string[]) =>
    ({ name, domain: 'realtime', entry: `${name}.ts`, description: 'stub', access: {}, websocket }) as unknown as FunctionSpec;
  const authorizer = spec('authorizer');
  const ws = spec('ws', ['$disconnect']);

  /** A gateway whose `$disconnect` handler takes `disconnectMs` (forever when Infinity). */
  async function gateway(disconnectMs: number) {
    const disconnects: Array<{ routeKey: string; finished: boolean }> = [];
    const lambdas = {
      invoke: async (fn: FunctionSpec, event: { requestContext?: { routeKey?: string } }) => {
        if (fn === authorizer) {
          return {
            principalId: 'user-1',
            policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: '*' }] },
            context: {},
          };
        }
        const call = { routeKey: event.requestContext?.routeKey ?? '', finished: false };
        disconnects.push(call);
        if (Number.isFinite(disconnectMs)) await sleep(disconnectMs);
        else await new Promise(() => undefined);
        call.finished = true;
        return { statusCode: 200 };
      },
    } as unknown as LocalLambdas;
    const gw = createWebSocketGateway({ functions: [ws], authorizer, lambdas, stage: 'local', region: 'us-east-1', log: () => undefined });
    const port = await listen(gw.server, 0);
    cleanups.push(() => gw.server.closeAllConnections());
    const client = new WebSocket(`ws://127.0.0.1:${port}/?token=t`);
    const closed = new Promise<number>((resolve) => client.on('close', (code) => resolve(code)));
    await new Promise((resolve, reject) => {
      client.once('open', resolve);
      client.once('error', reject);
    });
    return { gw, port, closed, disconnects };
  }

  it('closes clients with 1001 and lets a quick $disconnect handler finish first', async () => {
    const { gw, closed, disconnects } = await gateway(50);
    await gw.close(1_000);
    expect(await closed).toBe(1001);
    expect(disconnects).toEqual([{ routeKey: '$disconnect', finished: true }]);
  });

  it('waits for a $disconnect handler no longer than the grace period', async () => {
    const { gw, closed, disconnects } = await gateway(Infinity);
    const started = performance.now();
    await gw.close(300);
    const elapsed = performance.now() - started;
    expect(await closed).toBe(1001);
    expect(disconnects).toEqual([{ routeKey: '$disconnect', finished: false }]);
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(800);
  });

  it('stops answering @connections once closed', async () => {
    const { gw, port } = await gateway(0);
    await gw.close(200);
    await expect(fetch(`http://127.0.0.1:${port}/local/@connections/x`)).rejects.toThrow();
  });
});
