/**
 * A scripted n8n public API (`/api/v1`) for the unit/integration tier and the benchmark: workflows and
 * executions in memory, n8n's cursor pagination (newest execution first), running executions that finish
 * when the test says so, pruning and deletions, and faults on demand (401, 429 with Retry-After, 500, a hang,
 * malformed pages). Every request it receives and every response it sends is checked against n8n's own
 * OpenAPI document (support/n8n-openapi.ts); `violations` lists what did not conform, so a test that ends
 * with `expect(n8n.violations).toEqual([])` proves the client spoke n8n's documented API.
 *
 * Also the internal routes the owner and API key setup drives (`/rest/settings`, `/rest/owner/setup`,
 * `/rest/login`, `/rest/api-keys/scopes`, `/rest/api-keys`), answering in the shapes n8n 2.41.1 does: bodies
 * wrapped in `{ data }`, errors `{ code, message }`, a session cookie `n8n-auth` bound to the `browser-id`
 * header. They are not in the public OpenAPI document; test/n8n-real exercises them against a real n8n.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { N8nContract } from './n8n-openapi.ts';

export type Status = 'canceled' | 'crashed' | 'error' | 'new' | 'running' | 'success' | 'unknown' | 'waiting';

export interface ScriptedExecution {
  id: number;
  workflowId: string;
  status: Status;
  mode: string;
  startedAt: string | null;
  stoppedAt: string | null;
  retryOf: string | null;
  error?: { message: string; node: string };
}

export interface ScriptedWorkflow {
  id: string;
  name: string;
  active: boolean;
  isArchived: boolean;
  tags: string[];
  nodes: Array<Record<string, unknown>>;
  connections: Record<string, unknown>;
  settings: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  versionId: string;
}

export interface Fault {
  /** Which requests (default: every request). */
  match?: (method: string, path: string) => boolean;
  /** How many requests it hits (default 1). */
  times?: number;
  kind: 'status' | 'hang' | 'malformed' | 'not-json';
  status?: number;
  retryAfter?: string;
  message?: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body?: unknown;
  status: number;
}

export interface ScriptedN8n {
  url: string;
  /** Execution n's startedAt is baseTime + n seconds. */
  baseTime: number;
  apiKey: string;
  /** Requests received, in order. */
  requests: RecordedRequest[];
  /** Requests or responses that did not conform to n8n's OpenAPI document. */
  violations: string[];
  workflows: Map<string, ScriptedWorkflow>;
  executions: Map<number, ScriptedExecution>;
  addWorkflow(input: Partial<ScriptedWorkflow> & { name: string }): ScriptedWorkflow;
  /** Adds executions with the next ids (newest last). */
  addExecutions(workflowId: string, count: number, make?: (i: number) => Partial<ScriptedExecution>): ScriptedExecution[];
  finish(id: number, status: Status, error?: { message: string; node: string }): void;
  /** Deletes executions as n8n's pruning does. */
  prune(ids: number[]): void;
  deleteWorkflow(id: string): void;
  fault(fault: Fault): void;
  clearFaults(): void;
  /** Requests counted by `METHOD /path-template`. */
  countOf(method: string, prefix: string): number;
  /** The owner account, once set up (`fresh: true` starts without one). */
  owner(): { email: string; password: string } | undefined;
  /** Public-API keys n8n accepts (the initial `apiKey` unless fresh, plus every key created over /rest/api-keys). */
  apiKeys: Set<string>;
  close(): Promise<void>;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** What `GET /rest/api-keys/scopes` answers an owner in n8n 2.41.1 (getApiKeyScopesForRole), abridged. */
const API_KEY_SCOPES = [
  'user:read',
  'user:list',
  'workflow:create',
  'workflow:read',
  'workflow:update',
  'workflow:delete',
  'workflow:list',
  'workflow:activate',
  'workflow:deactivate',
  'execution:delete',
  'execution:read',
  'execution:retry',
  'execution:list',
  'tag:read',
  'tag:list',
];

export const startScriptedN8n = async (
  options: {
    contract?: N8nContract;
    apiKey?: string;
    pageDefault?: number;
    /** A newly installed n8n: no owner, no API key yet. */
    fresh?: boolean;
    /** An n8n whose owner was set up by someone else. */
    owner?: { email: string; password: string };
  } = {},
): Promise<ScriptedN8n> => {
  const apiKey = options.apiKey ?? 'n8n_api_test_key_0123456789';
  const apiKeys = new Set<string>(options.fresh ? [] : [apiKey]);
  let owner: { email: string; password: string } | undefined = options.fresh ? undefined : options.owner;
  /** Session cookie value -> the browser id it was issued to. */
  const sessions = new Map<string, string>();
  const workflows = new Map<string, ScriptedWorkflow>();
  const executions = new Map<number, ScriptedExecution>();
  const requests: RecordedRequest[] = [];
  const violations: string[] = [];
  const faults: Array<Fault & { left: number }> = [];
  const hanging = new Set<ServerResponse>();
  let nextExecutionId = 1;
  let nextWorkflow = 1;
  // Two days ago on a whole hour: recent enough for alert windows, fixed enough for metric buckets.
  const base = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 86_400_000;

  const workflowJson = (w: ScriptedWorkflow) => ({
    id: w.id,
    name: w.name,
    description: null,
    active: w.active,
    activeVersionId: w.active ? w.versionId : null,
    createdAt: w.createdAt,
    updatedAt: w.updatedAt,
    isArchived: w.isArchived,
    versionId: w.versionId,
    versionCounter: 1,
    sourceWorkflowId: null,
    triggerCount: w.active ? 1 : 0,
    nodes: w.nodes,
    connections: w.connections,
    nodeGroups: [],
    settings: w.settings,
    staticData: null,
    pinData: null,
    meta: null,
    tags: w.tags.map((name, i) => ({ id: `tag${i}`, name, createdAt: w.createdAt, updatedAt: w.updatedAt })),
    shared: [
      {
        role: 'workflow:owner',
        workflowId: w.id,
        projectId: 'proj1',
        project: {
          id: 'proj1',
          name: 'Owner <owner@example.com>',
          type: 'personal',
          icon: null,
          description: null,
          customTelemetryTags: [],
          creatorId: 'user1',
          createdAt: w.createdAt,
          updatedAt: w.updatedAt,
        },
        createdAt: w.createdAt,
        updatedAt: w.updatedAt,
      },
    ],
    activeVersion: null,
    parentFolder: null,
  });

  const executionSummary = (e: ScriptedExecution, includeData: boolean) => ({
    id: String(e.id),
    finished: e.status === 'success',
    mode: e.mode,
    retryOf: e.retryOf,
    retrySuccessId: null,
    status: e.status,
    startedAt: e.startedAt,
    stoppedAt: e.stoppedAt,
    workflowId: e.workflowId,
    waitTill: null,
    ...(includeData
      ? {
          data: e.error
            ? { resultData: { error: { message: e.error.message, node: { name: e.error.node } }, lastNodeExecuted: e.error.node, runData: {} } }
            : { resultData: { runData: {} } },
          workflowData: {},
          customData: {},
        }
      : {}),
  });

  const executionDetail = (e: ScriptedExecution, includeData: boolean) => ({
    ...executionSummary(e, includeData),
    createdAt: e.startedAt ?? iso(base),
    deletedAt: null,
    storedAt: 'db',
    tracingContext: null,
    deduplicationKey: null,
    jsonSizeBytes: 0,
    binaryDataSizeBytes: 0,
    workflowVersionId: null,
    usedPrivateCredentials: false,
  });

  const encodeCursor = (lastId: string, limit: number) => Buffer.from(JSON.stringify({ lastId, limit })).toString('base64');
  const decodeCursor = (cursor: string): { lastId: string; limit: number } | undefined => {
    try {
      const parsed = JSON.parse(Buffer.from(cursor, 'base64').toString('utf8')) as { lastId: string; limit: number };
      return typeof parsed.lastId === 'string' ? parsed : undefined;
    } catch {
      return undefined;
    }
  };

  const pageOf = <T>(items: T[], idOf: (t: T) => string, query: Record<string, string>) => {
    const limit = query.limit === undefined ? (options.pageDefault ?? 100) : Number(query.limit);
    let start = 0;
    if (query.cursor) {
      const c = decodeCursor(query.cursor);
      if (!c) return { error: 400 as const };
      const at = items.findIndex((t) => idOf(t) === c.lastId);
      // n8n's cursor is a keyset position: items after lastId in the listing order, even when lastId is gone.
      start = at >= 0 ? at + 1 : items.findIndex((t) => Number(idOf(t)) < Number(c.lastId));
      if (start < 0) start = items.length;
    }
    const data = items.slice(start, start + limit);
    const more = start + limit < items.length;
    return { data, nextCursor: more && data.length > 0 ? encodeCursor(idOf(data.at(-1)!), limit) : null };
  };

  const readBody = async (req: IncomingMessage): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };

  const route = (
    method: string,
    path: string,
    query: Record<string, string>,
    body: unknown,
  ): { status: number; json?: unknown; headers?: Record<string, string> } => {
    if (method === 'GET' && path === '/executions') {
      if (query.limit !== undefined && !(Number(query.limit) >= 1 && Number(query.limit) <= 250))
        return { status: 400, json: { message: 'limit must be 1-250' } };
      const includeData = query.includeData === 'true';
      const list = [...executions.values()]
        .filter((e) => (query.status ? e.status === query.status : true) && (query.workflowId ? e.workflowId === query.workflowId : true))
        .sort((a, b) => b.id - a.id);
      const page = pageOf(list, (e) => String(e.id), query);
      if ('error' in page) return { status: 400, json: { message: 'invalid cursor' } };
      return { status: 200, json: { data: page.data.map((e) => executionSummary(e, includeData)), nextCursor: page.nextCursor } };
    }
    const m1 = /^\/executions\/(\d+)$/.exec(path);
    if (m1 && method === 'GET') {
      const m = m1;
      const e = executions.get(Number(m[1]));
      return e ? { status: 200, json: executionDetail(e, query.includeData === 'true') } : { status: 404, json: { message: 'Not Found' } };
    }
    const m2 = /^\/executions\/(\d+)\/retry$/.exec(path);
    if (m2 && method === 'POST') {
      const m = m2;
      const e = executions.get(Number(m[1]));
      if (!e) return { status: 404, json: { message: 'Not Found' } };
      if (e.status !== 'error' && e.status !== 'crashed')
        return { status: 409, json: { message: 'The execution succeeded, so it cannot be retried.' } };
      const [retry] = api.addExecutions(e.workflowId, 1, () => ({ status: 'running', mode: 'retry', retryOf: String(e.id), stoppedAt: null }));
      return { status: 200, json: { ...executionSummary(retry!, true), storedAt: 'db' } };
    }
    const m3 = /^\/executions\/(\d+)\/stop$/.exec(path);
    if (m3 && method === 'POST') {
      const m = m3;
      const e = executions.get(Number(m[1]));
      if (!e) return { status: 404, json: { message: 'Not Found' } };
      if (!['running', 'waiting', 'new'].includes(e.status))
        return { status: 409, json: { message: 'Only running or waiting executions can be stopped' } };
      e.status = 'canceled';
      e.stoppedAt = iso(Date.now());
      return {
        status: 200,
        json: { mode: e.mode, startedAt: e.startedAt ?? iso(base), stoppedAt: e.stoppedAt, finished: false, status: 'canceled' },
      };
    }
    if (method === 'GET' && path === '/workflows') {
      const list = [...workflows.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
      const page = pageOf(list, (w) => w.id, query);
      if ('error' in page) return { status: 400, json: { message: 'invalid cursor' } };
      return { status: 200, json: { data: page.data.map(workflowJson), nextCursor: page.nextCursor } };
    }
    if (method === 'POST' && path === '/workflows') {
      const input = body as {
        name: string;
        nodes: Array<Record<string, unknown>>;
        connections: Record<string, unknown>;
        settings: Record<string, unknown>;
      };
      const w = api.addWorkflow({ name: input.name, nodes: input.nodes, connections: input.connections, settings: input.settings, active: false });
      return { status: 200, json: workflowJson(w) };
    }
    const m4 = /^\/workflows\/([^/]+)$/.exec(path);
    if (m4) {
      const m = m4;
      const w = workflows.get(decodeURIComponent(m[1]!));
      if (!w) return { status: 404, json: { message: 'Not Found' } };
      if (method === 'GET') return { status: 200, json: workflowJson(w) };
      if (method === 'PUT') {
        const input = body as Partial<ScriptedWorkflow>;
        Object.assign(w, {
          name: input.name,
          nodes: input.nodes,
          connections: input.connections,
          settings: input.settings ?? {},
          updatedAt: iso(Date.now()),
        });
        w.versionId = `v${Date.now()}`;
        return { status: 200, json: workflowJson(w) };
      }
      if (method === 'DELETE') {
        api.deleteWorkflow(w.id);
        return { status: 200, json: workflowJson(w) };
      }
    }
    const m5 = /^\/workflows\/([^/]+)\/(publish|unpublish)$/.exec(path);
    if (m5 && method === 'POST') {
      const m = m5;
      const w = workflows.get(decodeURIComponent(m[1]!));
      if (!w) return { status: 404, json: { message: 'Not Found' } };
      w.active = m[2] === 'publish';
      w.updatedAt = iso(Date.now());
      return { status: 200, json: workflowJson(w) };
    }
    return { status: 404, json: { message: `no route ${method} ${path}` } };
  };

  /** n8n's internal REST API, as far as the owner and API key setup uses it. */
  const restRoute = (
    method: string,
    path: string,
    body: unknown,
    headers: IncomingMessage['headers'],
  ): { status: number; json: unknown; headers?: Record<string, string> } => {
    const error = (status: number, message: string) => ({ status, json: { code: status, message } });
    const browserId = typeof headers['browser-id'] === 'string' ? headers['browser-id'] : '';
    const signIn = () => {
      const token = randomBytes(24).toString('base64url');
      sessions.set(token, browserId);
      return { 'set-cookie': `n8n-auth=${token}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax` };
    };
    const userJson = (o: { email: string }) => ({
      id: 'user0001',
      email: o.email,
      firstName: 'Mls',
      lastName: 'Owner',
      role: 'global:owner',
      isPending: false,
      mfaEnabled: false,
    });
    const input = (body ?? {}) as Record<string, unknown>;
    if (method === 'GET' && path === '/rest/settings')
      return { status: 200, json: { data: { userManagement: { showSetupOnFirstLoad: owner === undefined, authenticationMethod: 'email' } } } };
    if (method === 'POST' && path === '/rest/owner/setup') {
      if (owner) return error(400, 'Instance owner already setup');
      const { email, password } = input;
      if (typeof email !== 'string' || !email.includes('@')) return error(400, 'Invalid email address');
      if (typeof password !== 'string' || password.length < 8 || password.length > 64 || !/\d/.test(password) || !/[A-Z]/.test(password))
        return error(400, 'Password must be 8 to 64 characters long and contain at least 1 number and 1 uppercase letter.');
      owner = { email, password };
      return { status: 200, json: { data: userJson(owner) }, headers: signIn() };
    }
    if (method === 'POST' && path === '/rest/login') {
      if (!owner || input.emailOrLdapLoginId !== owner.email || input.password !== owner.password)
        return error(401, 'Wrong username or password. Do you have caps lock on?');
      return { status: 200, json: { data: userJson(owner) }, headers: signIn() };
    }
    // Everything else needs a session, from the same browser.
    const cookie = /(?:^|;\s*)n8n-auth=([^;]+)/.exec(headers.cookie ?? '')?.[1];
    if (!cookie || sessions.get(cookie) !== browserId) return { status: 401, json: { status: 'error', message: 'Unauthorized' } };
    if (method === 'GET' && path === '/rest/api-keys/scopes') return { status: 200, json: { data: [...API_KEY_SCOPES] } };
    if (method === 'POST' && path === '/rest/api-keys') {
      const scopes = input.scopes;
      if (typeof input.label !== 'string' || !Array.isArray(scopes) || scopes.some((x) => !API_KEY_SCOPES.includes(x as string)))
        return error(400, 'Invalid scopes for user role');
      const raw = `n8n_api_${randomBytes(20).toString('hex')}`;
      apiKeys.add(raw);
      const now = new Date().toISOString();
      return {
        status: 200,
        json: {
          data: {
            id: randomBytes(8).toString('hex'),
            label: input.label,
            userId: 'user0001',
            scopes,
            audience: 'public-api',
            createdAt: now,
            updatedAt: now,
            apiKey: `******${raw.slice(-4)}`,
            rawApiKey: raw,
            expiresAt: input.expiresAt ?? null,
          },
        },
      };
    }
    return error(404, `no route ${method} ${path}`);
  };

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://n8n.test');
    const query = Object.fromEntries(url.searchParams);
    const text = await readBody(req);
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    if (url.pathname.startsWith('/rest/')) {
      const method = req.method ?? 'GET';
      const record: RecordedRequest = { method, path: url.pathname, query, status: 0 };
      requests.push(record);
      const fault = faults.find((f) => f.left > 0 && (f.match?.(method, url.pathname) ?? true));
      if (fault?.kind === 'status') {
        fault.left -= 1;
        record.status = fault.status ?? 500;
        res.writeHead(record.status, { 'content-type': 'application/json' }).end(JSON.stringify({ message: fault.message ?? 'scripted failure' }));
        return;
      }
      const out = restRoute(method, url.pathname, body, req.headers);
      record.status = out.status;
      res.writeHead(out.status, { 'content-type': 'application/json', ...(out.headers ?? {}) }).end(JSON.stringify(out.json));
      return;
    }
    if (!url.pathname.startsWith('/api/v1/')) {
      res.writeHead(404).end();
      return;
    }
    const path = url.pathname.slice('/api/v1'.length);
    const method = req.method ?? 'GET';
    const exchange = { method, path, query, body };
    if (options.contract) for (const problem of options.contract.checkRequest(exchange)) violations.push(`request ${method} ${path}: ${problem}`);
    const record: RecordedRequest = { method, path, query, ...(body === undefined ? {} : { body }), status: 0 };
    requests.push(record);

    // Injected faults are not n8n's documented behaviour, only the client's exchanges are checked.
    const send = (status: number, json: unknown, headers: Record<string, string> = {}, raw?: string, injected = false) => {
      record.status = status;
      if (options.contract && raw === undefined && !injected)
        for (const problem of options.contract.checkResponse(exchange, status, json)) violations.push(`response ${method} ${path}: ${problem}`);
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(raw ?? JSON.stringify(json));
    };

    const fault = faults.find((f) => f.left > 0 && (f.match?.(method, path) ?? true));
    if (fault) {
      fault.left -= 1;
      if (fault.kind === 'hang') {
        record.status = -1;
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      if (fault.kind === 'status') {
        send(
          fault.status ?? 500,
          { message: fault.message ?? 'scripted failure' },
          fault.retryAfter ? { 'retry-after': fault.retryAfter } : {},
          undefined,
          true,
        );
        return;
      }
      if (fault.kind === 'not-json') {
        send(200, undefined, {}, '<html>gateway</html>');
        return;
      }
      const real = route(method, path, query, body);
      // A page whose first item lacks its id: valid JSON, wrong shape.
      const broken = JSON.parse(JSON.stringify(real.json)) as { data?: Array<Record<string, unknown>> };
      if (broken.data?.[0]) delete broken.data[0].id;
      send(real.status, broken, {}, JSON.stringify(broken));
      return;
    }

    const key = req.headers['x-n8n-api-key'];
    if (typeof key !== 'string' || !apiKeys.has(key)) {
      record.status = 401;
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'unauthorized' }));
      return;
    }
    const out = route(method, path, query, body);
    send(out.status, out.json, out.headers);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const api: ScriptedN8n = {
    url: `http://127.0.0.1:${port}`,
    baseTime: base,
    apiKey,
    requests,
    violations,
    workflows,
    executions,
    addWorkflow: (input) => {
      const id = input.id ?? `wf${String(nextWorkflow++).padStart(4, '0')}AbCdEfGh`;
      const now = iso(base);
      const w: ScriptedWorkflow = {
        id,
        active: true,
        isArchived: false,
        tags: [],
        nodes: [
          { id: 'n1', name: 'Webhook', type: 'n8n-nodes-base.webhook', typeVersion: 2, position: [0, 0], parameters: { path: id } },
          { id: 'n2', name: 'Set', type: 'n8n-nodes-base.set', typeVersion: 3.4, position: [200, 0], parameters: {} },
        ],
        connections: { Webhook: { main: [[{ node: 'Set', type: 'main', index: 0 }]] } },
        settings: { executionOrder: 'v1' },
        createdAt: now,
        updatedAt: now,
        versionId: `v${id}`,
        ...input,
      };
      workflows.set(id, w);
      return w;
    },
    addExecutions: (workflowId, count, make = () => ({})) => {
      const out: ScriptedExecution[] = [];
      for (let i = 0; i < count; i++) {
        const id = nextExecutionId++;
        const started = base + id * 1000;
        const e: ScriptedExecution = {
          id,
          workflowId,
          status: 'success',
          mode: 'webhook',
          startedAt: iso(started),
          stoppedAt: iso(started + 250 + (id % 10) * 50),
          retryOf: null,
          ...make(i),
        };
        if (e.status === 'running' || e.status === 'new') e.stoppedAt = null;
        if ((e.status === 'error' || e.status === 'crashed') && !e.error) e.error = { message: `Boom ${id}`, node: 'Set' };
        executions.set(id, e);
        out.push(e);
      }
      return out;
    },
    finish: (id, status, error) => {
      const e = executions.get(id);
      if (!e) throw new Error(`no execution ${id}`);
      e.status = status;
      e.stoppedAt = iso(Date.parse(e.startedAt ?? iso(base)) + 5000);
      if (error) e.error = error;
      else if (status === 'error' || status === 'crashed') e.error = { message: `Boom ${id}`, node: 'Set' };
    },
    prune: (ids) => {
      for (const id of ids) executions.delete(id);
    },
    deleteWorkflow: (id) => {
      workflows.delete(id);
      // n8n deletes a workflow's executions with it.
      for (const [eid, e] of executions) if (e.workflowId === id) executions.delete(eid);
    },
    fault: (f) => faults.push({ ...f, left: f.times ?? 1 }),
    clearFaults: () => {
      faults.length = 0;
    },
    countOf: (method, prefix) => requests.filter((r) => r.method === method && r.path.startsWith(prefix)).length,
    owner: () => owner,
    apiKeys,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return api;
};
