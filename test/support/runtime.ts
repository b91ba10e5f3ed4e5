/**
 * Test helpers for end-to-end tests through the embedded local runtime. Typical use, one runtime per file:
 *
 *   let rt: TestRuntime;
 *   beforeAll(async () => { rt = await startTestRuntime(); });
 *   afterAll(() => rt?.stop());
 *   it('...', async () => {
 *     const res = await rt.fetchJson('/v1/me', { headers: { 'x-api-key': rt.apiKey } });
 *     expect(res.status).toBe(200);
 *   });
 *
 * Each call gets a fresh database (on the run's PostgreSQL from global-setup.ts), a temp data folder,
 * free ports, and a minted admin key. Handlers run in the test's process and read process.env, so only
 * one runtime per test file at a time.
 */
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import pg from 'pg';
import { inject } from 'vitest';
import { WebSocket } from 'ws';
import { startLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '../../local/runtime.ts';

export interface JsonResponse<T = any> {
  status: number;
  headers: Headers;
  /** Parsed JSON body, or undefined when the body is empty or not JSON. */
  body: T;
  /** The raw body text. */
  text: string;
}

export interface TestRuntime extends LocalRuntime {
  /** The URL of this test file's own database. */
  databaseUrl: string;
  /** fetch(`${restUrl}${path}`); a plain-object `json` option is sent as a JSON body. */
  fetchJson: <T = any>(path: string, init?: RequestInit & { json?: unknown }) => Promise<JsonResponse<T>>;
  /** A platform JWT signed with the runtime's secret (HS256). Defaults: tenant `default`, roles ['admin'], 1 h. */
  mintJwt: (claims?: { sub?: string; tenantId?: string; roles?: string[]; expiresIn?: string | number }) => Promise<string>;
  /** Opens a WebSocket to the runtime (`?token=` added when given); see openWebSocket. */
  connect: (token?: string, query?: Record<string, string>) => Promise<WsClient>;
}

/** Creates an empty database for the calling test file on the run's PostgreSQL; returns its URL. */
export async function createTestDatabase(prefix = 'test'): Promise<{ url: string; drop: () => Promise<void> }> {
  const adminUrl = inject('databaseUrl');
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      // FORCE: handler pools of this process may still hold connections.
      await c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)} WITH (FORCE)`).finally(() => c.end());
    },
  };
}

/** Starts the full runtime, ephemeral, on free ports, with a fresh database. */
export async function startTestRuntime(options: Omit<LocalRuntimeOptions, 'databaseUrl' | 'ephemeral'> = {}): Promise<TestRuntime> {
  const db = await createTestDatabase();
  let runtime: LocalRuntime;
  try {
    runtime = await startLocalRuntime({ quiet: true, ports: { rest: 0, ws: 0 }, ...options, ephemeral: true, databaseUrl: db.url });
  } catch (error) {
    await db.drop().catch(() => undefined);
    throw error;
  }
  return {
    ...runtime,
    databaseUrl: db.url,
    stop: async () => {
      await runtime.stop();
      await db.drop().catch(() => undefined);
    },
    fetchJson: (path, init) => fetchJson(`${runtime.restUrl}${path}`, init),
    mintJwt: (claims) => mintJwt(runtime.jwtSecret, claims),
    connect: (token, query = {}) => {
      const url = new URL(runtime.wsUrl);
      if (token !== undefined) url.searchParams.set('token', token);
      for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
      return openWebSocket(url.toString());
    },
  };
}

export async function fetchJson<T = any>(url: string, init: RequestInit & { json?: unknown } = {}): Promise<JsonResponse<T>> {
  const { json, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (json !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
  const res = await fetch(url, { ...rest, headers, ...(json !== undefined && { body: JSON.stringify(json) }) });
  const text = await res.text();
  let body: T = undefined as T;
  try {
    body = text ? (JSON.parse(text) as T) : body;
  } catch {
    // not JSON: callers read `text`
  }
  return { status: res.status, headers: res.headers, body, text };
}

export async function mintJwt(
  secret: string,
  {
    sub = 'user-test',
    tenantId = 'default',
    roles = ['admin'],
    expiresIn = '1h',
  }: { sub?: string; tenantId?: string; roles?: string[]; expiresIn?: string | number } = {},
): Promise<string> {
  return new SignJWT({ tenant_id: tenantId, roles })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
}

export interface WsClient {
  /** True when the upgrade succeeded. */
  opened: boolean;
  /** HTTP status of a refused upgrade (e.g. 401), else undefined. */
  refusedStatus?: number;
  socket: WebSocket;
  /** Frames received so far (text frames parsed as JSON when they are JSON). */
  messages: unknown[];
  /** Resolves with the next received frame matching `predicate` (including ones already received). */
  nextMessage: <T = any>(predicate?: (m: any) => boolean, timeoutMs?: number) => Promise<T>;
  send: (data: unknown) => void;
  /** Resolves with the close code once the socket is closed. */
  closed: Promise<{ code: number; reason: string }>;
  close: () => Promise<void>;
}

/** Opens a WebSocket and waits for either `open` or a refused upgrade (never rejects for a refusal). */
export function openWebSocket(url: string): Promise<WsClient> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    const messages: unknown[] = [];
    const waiters: Array<{ predicate: (m: unknown) => boolean; resolve: (m: any) => void }> = [];
    let settled = false;
    const closed = new Promise<{ code: number; reason: string }>((r) => socket.on('close', (code, reason) => r({ code, reason: reason.toString() })));
    const client: WsClient = {
      opened: false,
      socket,
      messages,
      closed,
      send: (data) => socket.send(typeof data === 'string' ? data : JSON.stringify(data)),
      close: async () => {
        if (socket.readyState === WebSocket.CLOSED) return;
        socket.close();
        await closed;
      },
      nextMessage: (predicate = () => true, timeoutMs = 10_000) => {
        const seen = messages.find(predicate);
        if (seen !== undefined) {
          messages.splice(messages.indexOf(seen), 1);
          return Promise.resolve(seen as any);
        }
        return new Promise((res, rej) => {
          const timer = setTimeout(
            () => rej(new Error(`no matching WebSocket message within ${timeoutMs} ms; got ${JSON.stringify(messages)}`)),
            timeoutMs,
          );
          waiters.push({
            predicate,
            resolve: (m) => {
              clearTimeout(timer);
              res(m);
            },
          });
        });
      },
    };
    socket.on('message', (data, isBinary) => {
      const text = data.toString();
      let m: unknown = isBinary ? data : text;
      if (!isBinary) {
        try {
          m = JSON.parse(text);
        } catch {
          // plain text frame
        }
      }
      const i = waiters.findIndex((w) => w.predicate(m));
      if (i >= 0) waiters.splice(i, 1)[0]!.resolve(m);
      else messages.push(m);
    });
    socket.on('open', () => {
      settled = true;
      client.opened = true;
      resolve(client);
    });
    socket.on('unexpected-response', (_req, res) => {
      settled = true;
      client.refusedStatus = res.statusCode;
      res.resume();
      socket.terminate();
      resolve(client);
    });
    socket.on('error', (error) => {
      if (!settled) reject(error);
    });
  });
}
