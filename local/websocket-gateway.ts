/**
 * Local API Gateway WebSocket API: `$connect` (with the shared REQUEST authorizer, token in `?token=`),
 * frames routed by `$request.body.action` else `$default`, `$disconnect`, and the `@connections`
 * management API on the same port so `@aws-sdk/client-apigatewaymanagementapi` works unchanged against
 * `WEBSOCKET_CALLBACK_URL`. Limits as in AWS: 128 KB messages (close 1009), 10 min idle, 2 h per connection.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { FunctionSpec } from '#shared/manifest.types.ts';
import { runAuthorizer } from './authorizer.ts';
import { answerClientErrors, headerMaps, PayloadTooLargeError, queryMaps, readBody, requestTime, sourceIp } from './http-util.ts';
import { ACCOUNT_ID, type LocalLambdas } from './lambda.ts';

export const WS_API_ID = 'localws';
const MAX_MESSAGE_BYTES = 128 * 1024;

export interface WebSocketLimits {
  /** Closes a connection with no frames either way for this long. AWS: 10 minutes. */
  idleTimeoutMs?: number;
  /** Closes any connection after this long. AWS: 2 hours. */
  maxConnectionMs?: number;
}

export interface WebSocketGatewayOptions {
  functions: FunctionSpec[];
  authorizer: FunctionSpec;
  lambdas: LocalLambdas;
  stage: string;
  region: string;
  log: (line: string) => void;
  limits?: WebSocketLimits;
  /** False until migrations ran and the environment is set: upgrades then get 503. */
  isReady?: () => boolean;
}

interface Connection {
  id: string;
  socket: WebSocket;
  connectedAt: Date;
  lastActiveAt: Date;
  sourceIp: string;
  userAgent: string;
  domainName: string;
  authorizer?: Record<string, unknown>;
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
  idleTimer?: NodeJS.Timeout;
  maxTimer?: NodeJS.Timeout;
  /** Dropped by `vanishConnection`: no `$disconnect` will be delivered. */
  vanished?: boolean;
}

/** Every running gateway's connections, for the test hook below. */
const liveGateways = new Set<Map<string, Connection>>();

/**
 * Test hook: kills a connection the way a vanished client or a lost API Gateway node would, without the
 * `$disconnect` route ever running, so its DynamoDB items stay behind until a fan-out meets GoneException.
 * Returns false when no running gateway has that connection.
 */
export function vanishConnection(connectionId: string): boolean {
  for (const connections of liveGateways) {
    const c = connections.get(connectionId);
    if (!c) continue;
    c.vanished = true;
    c.socket.terminate();
    return true;
  }
  return false;
}

/** API Gateway connection ids look like `L0SM9cOFvHcCIhw=`: 12 random bytes, base64. */
const newConnectionId = (): string => randomBytes(10).toString('base64');

/** How long a client gets to answer the close frame sent on shutdown before its socket is dropped. */
const CLOSE_HANDSHAKE_MS = 200;

export interface WebSocketGateway {
  server: Server;
  /**
   * Closes every client (1001 Going away), gives their `$disconnect` handlers and messages in flight until
   * `graceMs` from now (default 500 ms), then stops the server, @connections included.
   */
  close: (graceMs?: number) => Promise<void>;
}

export function createWebSocketGateway(options: WebSocketGatewayOptions): WebSocketGateway {
  const { lambdas, stage, region, log } = options;
  const idleTimeoutMs = options.limits?.idleTimeoutMs ?? 10 * 60_000;
  const maxConnectionMs = options.limits?.maxConnectionMs ?? 2 * 60 * 60_000;
  const routes = new Map<string, FunctionSpec>();
  for (const fn of options.functions) for (const key of fn.websocket ?? []) routes.set(key, fn);
  const connections = new Map<string, Connection>();
  liveGateways.add(connections);
  const pending = new Set<Promise<unknown>>();
  let closing = false;
  const track = (p: Promise<unknown>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });

  const baseContext = (c: Pick<Connection, 'id' | 'connectedAt' | 'sourceIp' | 'userAgent' | 'domainName'>, routeKey: string, eventType: string) => {
    const now = new Date();
    const requestId = randomUUID();
    return {
      routeKey,
      eventType,
      extendedRequestId: requestId,
      requestTime: requestTime(now),
      messageDirection: 'IN',
      stage,
      connectedAt: c.connectedAt.getTime(),
      requestTimeEpoch: now.getTime(),
      identity: { sourceIp: c.sourceIp, userAgent: c.userAgent },
      requestId,
      domainName: c.domainName,
      connectionId: c.id,
      apiId: WS_API_ID,
    };
  };

  // Activity only moves `lastActiveAt`; the one idle timer, when it fires, closes the connection or waits
  // out the rest. Re-arming a timer per frame and per @connections post cost a tenth of a busy fan-out.
  const armIdle = (c: Connection, ms: number) => {
    c.idleTimer = setTimeout(() => {
      const idleFor = Date.now() - c.lastActiveAt.getTime();
      if (idleFor >= idleTimeoutMs) c.socket.close(1001, 'Going away');
      else armIdle(c, idleTimeoutMs - idleFor);
    }, ms);
  };
  const touch = (c: Connection) => {
    c.lastActiveAt = new Date();
    if (!c.idleTimer) armIdle(c, idleTimeoutMs);
  };

  const refuse = (socket: Duplex, status: number, reason: string) => {
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${JSON.stringify({ message: reason })}`);
  };

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    if ((options.isReady && !options.isReady()) || closing) return refuse(socket, 503, 'Service Unavailable');
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/' && url.pathname !== `/${stage}` && url.pathname !== `/${stage}/`) {
      refuse(socket, 404, 'Not Found');
      return;
    }
    const { headers, multiValueHeaders } = headerMaps(req);
    const conn = {
      id: newConnectionId(),
      connectedAt: new Date(),
      sourceIp: sourceIp(req),
      userAgent: req.headers['user-agent'] ?? '',
      domainName: req.headers.host ?? 'localhost',
    };
    const query = queryMaps(url);
    const requestContext: Record<string, unknown> = baseContext(conn, '$connect', 'CONNECT');
    const verdict = await runAuthorizer(lambdas, options.authorizer, {
      type: 'REQUEST',
      methodArn: `arn:aws:execute-api:${region}:${ACCOUNT_ID}:${WS_API_ID}/${stage}/$connect`,
      headers,
      multiValueHeaders,
      ...query,
      stageVariables: {},
      requestContext,
    });
    if (verdict.effect === 'unauthorized') return refuse(socket, 401, 'Unauthorized');
    if (verdict.effect === 'deny') return refuse(socket, 403, 'Forbidden');
    if (verdict.effect === 'error') {
      log(`authorizer failed on $connect: ${String((verdict.error as Error)?.stack ?? verdict.error)}`);
      return refuse(socket, 500, 'Internal Server Error');
    }
    const authorizer = verdict.authorizer;
    const connectFn = routes.get('$connect');
    if (connectFn) {
      try {
        const result = await lambdas.invoke<{ statusCode?: number } | undefined>(connectFn, {
          headers,
          multiValueHeaders,
          ...query,
          requestContext: { ...requestContext, authorizer },
          isBase64Encoded: false,
        });
        const status = result?.statusCode ?? 200;
        if (status < 200 || status > 299) return refuse(socket, status, 'Forbidden');
      } catch (error) {
        log(`${connectFn.name} failed on $connect: ${String((error as Error)?.stack ?? error)}`);
        return refuse(socket, 500, 'Internal Server Error');
      }
    }
    // Shutdown began while the authorizer or $connect ran: close() no longer sees this socket.
    if (closing) return refuse(socket, 503, 'Service Unavailable');
    wss.handleUpgrade(req, socket, head, (ws) => {
      const c: Connection = { ...conn, socket: ws, lastActiveAt: new Date(), authorizer, headers, multiValueHeaders };
      connections.set(c.id, c);
      touch(c);
      c.maxTimer = setTimeout(() => ws.close(1001, 'Going away'), maxConnectionMs);
      ws.on('message', (data, isBinary) => {
        touch(c);
        track(onMessage(c, data, isBinary));
      });
      ws.on('close', (code, reason) => {
        clearTimeout(c.idleTimer);
        clearTimeout(c.maxTimer);
        connections.delete(c.id);
        if (!c.vanished) track(onDisconnect(c, code, reason.toString()));
      });
      ws.on('error', () => undefined);
    });
  }

  async function onMessage(c: Connection, data: RawData, isBinary: boolean): Promise<void> {
    const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    const body = isBinary ? buffer.toString('base64') : buffer.toString('utf8');
    let routeKey = '$default';
    if (!isBinary) {
      try {
        const action = (JSON.parse(body) as { action?: unknown })?.action;
        // `$connect`, `$disconnect` and `$default` are the gateway's own events: a frame can never select
        // them (a frame naming `$disconnect` once ran the disconnect handler on a live connection).
        if (typeof action === 'string' && !action.startsWith('$') && routes.has(action)) routeKey = action;
      } catch {
        // Not JSON: API Gateway falls back to $default.
      }
    }
    const fn = routes.get(routeKey);
    const requestContext = { ...baseContext(c, routeKey, 'MESSAGE'), messageId: randomBytes(8).toString('base64'), authorizer: c.authorizer };
    if (!fn) {
      // What API Gateway answers when no route (not even $default) matches.
      c.socket.send(JSON.stringify({ message: 'Forbidden', connectionId: c.id, requestId: requestContext.requestId }));
      return;
    }
    try {
      // The handler's return value is not sent back: routes have no route response (one-way), handlers
      // answer through @connections, as in the stack.
      await lambdas.invoke(fn, { requestContext, body, isBase64Encoded: isBinary });
    } catch (error) {
      log(`${fn.name} failed on ${routeKey}: ${String((error as Error)?.stack ?? error)}`);
      if (c.socket.readyState === WebSocket.OPEN) {
        c.socket.send(JSON.stringify({ message: 'Internal server error', connectionId: c.id, requestId: requestContext.requestId }));
      }
    }
  }

  async function onDisconnect(c: Connection, code: number, reason: string): Promise<void> {
    const fn = routes.get('$disconnect');
    if (!fn) return;
    try {
      await lambdas.invoke(fn, {
        headers: c.headers,
        multiValueHeaders: c.multiValueHeaders,
        requestContext: {
          ...baseContext(c, '$disconnect', 'DISCONNECT'),
          disconnectStatusCode: code,
          disconnectReason: reason,
          authorizer: c.authorizer,
        },
        isBase64Encoded: false,
      });
    } catch (error) {
      log(`${fn.name} failed on $disconnect: ${String((error as Error)?.stack ?? error)}`);
    }
  }

  /** The management API: `/{stage}/@connections/{id}` and `/@connections/{id}`. */
  const managementPath = new RegExp(`^(?:/${stage.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})?/@connections/([^/]+)$`);
  async function onManagement(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = managementPath.exec((req.url ?? '/').split('?')[0]!);
    const error = (status: number, type: string, message: string) => {
      const body = JSON.stringify({ message });
      res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type, 'x-amzn-requestid': randomUUID() });
      res.end(body);
    };
    if (!match) return error(404, 'NotFoundException', 'Not Found');
    const id = decodeURIComponent(match[1]!);
    let data: Buffer;
    try {
      data = await readBody(req, MAX_MESSAGE_BYTES);
    } catch (e) {
      if (e instanceof PayloadTooLargeError) return error(413, 'PayloadTooLargeException', 'Message too long');
      throw e;
    }
    const c = connections.get(id);
    if (!c || c.socket.readyState !== WebSocket.OPEN) return error(410, 'GoneException', `Connection ${id} is gone`);
    const ok = (status: number, json?: unknown) => {
      const body = json === undefined ? '' : JSON.stringify(json);
      res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID() });
      res.end(body);
    };
    switch (req.method) {
      case 'POST':
        c.socket.send(data.toString('utf8'));
        touch(c);
        return ok(200);
      case 'GET':
        return ok(200, {
          connectedAt: c.connectedAt.toISOString(),
          lastActiveAt: c.lastActiveAt.toISOString(),
          identity: { sourceIp: c.sourceIp, userAgent: c.userAgent },
        });
      case 'DELETE':
        c.socket.close(1000, '');
        return ok(204);
      default:
        return error(405, 'MethodNotAllowedException', 'Method not allowed');
    }
  }

  const server = createServer((req, res) => {
    onManagement(req, res).catch((e: unknown) => {
      log(`@connections error: ${String((e as Error)?.stack ?? e)}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  answerClientErrors(server);
  server.on('upgrade', (req, socket, head) => {
    onUpgrade(req, socket, head).catch((e: unknown) => {
      log(`websocket upgrade error: ${String((e as Error)?.stack ?? e)}`);
      refuse(socket, 500, 'Internal Server Error');
    });
  });
  const close = async (graceMs = 500): Promise<void> => {
    const deadline = Date.now() + graceMs;
    closing = true;
    liveGateways.delete(connections);
    // A close frame, as API Gateway sends when it ends a connection, so clients can tell a shutdown from
    // a network failure; a client that does not answer it in time is dropped.
    const closed = [...connections.values()].map(async (c) => {
      if (c.socket.readyState === WebSocket.CLOSED) return;
      const gone = new Promise((resolve) => c.socket.once('close', resolve));
      c.socket.close(1001, 'Going away');
      if (!(await settlesWithin(gone, Math.min(CLOSE_HANDSHAKE_MS, deadline - Date.now())))) {
        c.socket.terminate();
        await gone;
      }
    });
    await Promise.all(closed);
    // $disconnect handlers of the closed sockets (and messages in flight) still reach DynamoDB and
    // @connections (presence leaves): let them finish while the management API still answers, but only
    // until the deadline. Those still running then are cut off by the emulators stopping under them.
    while (pending.size > 0 && Date.now() < deadline) {
      await settlesWithin(Promise.allSettled([...pending]), deadline - Date.now());
    }
    wss.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  };
  return { server, close };
}

/** Whether `promise` settles within `ms` (false once they elapsed; the promise keeps running). */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (ms <= 0) return resolve(false);
    const timer = setTimeout(() => resolve(false), ms);
    const done = () => {
      clearTimeout(timer);
      resolve(true);
    };
    promise.then(done, done);
  });
}
