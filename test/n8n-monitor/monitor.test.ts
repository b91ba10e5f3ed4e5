/**
 * The n8n monitor end to end through the local runtime, against scripted n8n instances that check every
 * exchange with n8n's OpenAPI document: registration (connection check, sealed key), incremental and
 * idempotent sync through faults (429, 500, a hang, malformed pages), pruning and deletions, one instance
 * down never stopping the others, reads (workflows with health, executions, metrics) and actions, alerts to
 * the WebSocket and a signed webhook, templates, and every route's bad input, roles and tenants.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorPaths, problemOf } from '../support/problem.ts';
import { fetchJson, startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { loadN8nContract } from './support/n8n-openapi.ts';
import { startScriptedN8n, type ScriptedN8n } from './support/scripted-n8n.ts';

let rt: TestRuntime;
let n8n: ScriptedN8n;
let other: ScriptedN8n;
let admin: Record<string, string>;
let viewer: Record<string, string>;
let stranger: Record<string, string>;
let instanceId: string;
const hooks: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
let hookServer: ReturnType<typeof createServer>;
let hookUrl: string;

const api = (path: string, init: RequestInit & { json?: unknown } = {}, headers = admin) =>
  rt.fetchJson(path, { ...init, headers: { ...headers, ...(init.headers as Record<string, string>) } });
const sync = async (id = instanceId) => {
  const res = await api(`/v1/n8n/instances/${id}/sync`, { method: 'POST' });
  expect(res.status, res.text).toBe(200);
  return res.body;
};

beforeAll(async () => {
  const contract = await loadN8nContract();
  n8n = await startScriptedN8n({ contract });
  other = await startScriptedN8n({ contract });
  hookServer = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      hooks.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/hook`;
  rt = await startTestRuntime({ scheduler: false, env: { N8N_REQUEST_TIMEOUT_MS: '1000', N8N_ALLOW_PRIVATE_NETWORKS: 'true' } });
  admin = { 'x-api-key': rt.apiKey };
  viewer = { authorization: `Bearer ${await rt.mintJwt({ roles: ['viewer'] })}` };
  stranger = { authorization: `Bearer ${await rt.mintJwt({ tenantId: 'elsewhere', roles: ['admin'] })}` };
});
afterAll(async () => {
  await rt?.stop();
  await n8n?.close();
  await other?.close();
  hookServer?.close();
});

describe('instances', () => {
  it('registers an instance after checking the URL and key with n8n; the key is never returned', async () => {
    n8n.addWorkflow({ name: 'orders' });
    const res = await api('/v1/n8n/instances', { method: 'POST', json: { name: 'production', baseUrl: n8n.url, apiKey: n8n.apiKey } });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ name: 'production', baseUrl: n8n.url, status: 'pending' });
    expect(res.text).not.toContain(n8n.apiKey);
    instanceId = res.body.instanceId;
    const listed = await api('/v1/n8n/instances');
    expect(listed.body.items.map((i: any) => i.instanceId)).toEqual([instanceId]);
    expect(listed.text).not.toContain(n8n.apiKey);
    // Stored sealed: the database holds no plaintext key.
    const db = new pg.Client({ connectionString: rt.databaseUrl });
    await db.connect();
    const { rows } = await db.query('SELECT api_key_sealed FROM n8n_instances WHERE id = $1', [instanceId]);
    await db.end();
    expect(rows[0].api_key_sealed).toMatch(/^v1\./);
    expect(rows[0].api_key_sealed).not.toContain(n8n.apiKey);
  });

  it("answers 422 with n8n's reason for a wrong key or an unreachable URL, and stores nothing", async () => {
    const wrongKey = await api('/v1/n8n/instances', { method: 'POST', json: { name: 'bad', baseUrl: n8n.url, apiKey: 'not-the-key-123' } });
    expect(wrongKey.status).toBe(422);
    expect(errorPaths(wrongKey)).toEqual(['body.apiKey']);
    expect(problemOf(wrongKey)).toBeTruthy();
    expect(wrongKey.body.detail).toContain('unauthorized');
    const down = await api('/v1/n8n/instances', { method: 'POST', json: { name: 'bad', baseUrl: 'http://127.0.0.1:1', apiKey: 'whatever-key-1' } });
    expect(down.status).toBe(422);
    expect(errorPaths(down)).toEqual(['body.baseUrl']);
    const metadata = await api('/v1/n8n/instances', {
      method: 'POST',
      json: { name: 'bad', baseUrl: 'http://169.254.169.254', apiKey: 'whatever-key-1' },
    });
    expect(metadata.status).toBe(422);
    expect((await api('/v1/n8n/instances')).body.items).toHaveLength(1);
  });

  it('refuses bad input with 400 naming the field, duplicates with 409, viewers with 403, other tenants with 404', async () => {
    const cases: Array<[unknown, string]> = [
      [{ baseUrl: n8n.url, apiKey: 'abcdefgh' }, 'body.name'],
      [{ name: 'x', baseUrl: 'ftp://example.com', apiKey: 'abcdefgh' }, 'body.baseUrl'],
      [{ name: 'x', baseUrl: 'http://user:pw@example.com', apiKey: 'abcdefgh' }, 'body.baseUrl'],
      [{ name: 'x', baseUrl: n8n.url, apiKey: 'short' }, 'body.apiKey'],
      [{ name: 'x', baseUrl: n8n.url, apiKey: 42 }, 'body.apiKey'],
      [{ name: 'x'.repeat(101), baseUrl: n8n.url, apiKey: 'abcdefgh' }, 'body.name'],
      [{ name: 'x', baseUrl: n8n.url, apiKey: 'abcdefgh', extra: true }, 'body'],
    ];
    for (const [json, path] of cases) {
      const res = await api('/v1/n8n/instances', { method: 'POST', json });
      expect(res.status, JSON.stringify(json)).toBe(400);
      expect(errorPaths(res).join(','), JSON.stringify(json)).toContain(path);
    }
    expect((await api('/v1/n8n/instances', { method: 'POST', json: { name: 'production', baseUrl: n8n.url, apiKey: n8n.apiKey } })).status).toBe(409);
    expect((await api('/v1/n8n/instances', { method: 'POST', json: { name: 'v', baseUrl: n8n.url, apiKey: n8n.apiKey } }, viewer)).status).toBe(403);
    expect((await api('/v1/n8n/instances/not-an-id')).status).toBe(400);
    expect((await api('/v1/n8n/instances/n8i_AAAAAAAAAAAAAAAA')).status).toBe(404);
    expect((await api(`/v1/n8n/instances/${instanceId}`, {}, stranger)).status).toBe(404);
    expect((await api(`/v1/n8n/instances/${instanceId}/sync`, { method: 'POST' }, stranger)).status).toBe(404);
    expect((await api(`/v1/n8n/instances/${instanceId}`, { method: 'DELETE' }, stranger)).status).toBe(404);
    expect((await api(`/v1/n8n/instances/${instanceId}`, { method: 'PATCH', json: {} })).status).toBe(400);
    expect((await api(`/v1/n8n/instances/${instanceId}`, { method: 'PATCH', json: { apiKey: 'wrong-key-999' } })).status).toBe(422);
    expect((await api(`/v1/n8n/instances/${instanceId}`)).body.name).toBe('production');
  });
});

describe('sync', () => {
  it('stores every execution on the first sync, then only what is new, and counts nothing twice', async () => {
    const wf = [...n8n.workflows.values()][0]!;
    n8n.addExecutions(wf.id, 600, (i) => (i % 10 === 0 ? { status: 'error' } : {}));
    const first = await sync();
    expect(first).toMatchObject({ outcome: 'synced', newExecutions: 600, failures: 60, workflows: 1 });
    const page = await api(`/v1/n8n/executions?instanceId=${instanceId}&limit=100`);
    expect(page.body.items).toHaveLength(100);
    const again = await sync();
    expect(again).toMatchObject({ outcome: 'synced', newExecutions: 0, finished: 0 });
    // An incremental sync reads one page of executions (and one of workflows).
    expect(again.requests).toBe(2);
    const running = n8n.addExecutions(wf.id, 3, (i) => (i === 0 ? { status: 'running' } : {}));
    const third = await sync();
    expect(third).toMatchObject({ newExecutions: 3 });
    n8n.finish(running[0]!.id, 'error', { message: 'Timeout of 30000ms exceeded', node: 'HTTP Request' });
    const fourth = await sync();
    expect(fourth).toMatchObject({ newExecutions: 0, finished: 1, failures: 1 });
    const done = await api(`/v1/n8n/executions/${instanceId}:${running[0]!.id}`);
    expect(done.body).toMatchObject({ status: 'error', finished: true, errorMessage: 'Timeout of 30000ms exceeded', errorNode: 'HTTP Request' });
    const db = new pg.Client({ connectionString: rt.databaseUrl });
    await db.connect();
    const { rows } = await db.query('SELECT count(*)::int AS n FROM n8n_executions WHERE instance_id = $1', [instanceId]);
    await db.end();
    expect(rows[0].n).toBe(603);
    expect(n8n.violations).toEqual([]);
  });

  it('records 429, 500, a hang and malformed pages as instance errors, and resumes where it stopped', async () => {
    const wf = [...n8n.workflows.values()][0]!;
    n8n.addExecutions(wf.id, 600);
    const onSecondPage = (method: string, path: string) =>
      method === 'GET' && path === '/executions' && n8n.requests.at(-1)?.query.cursor !== undefined;
    n8n.fault({ kind: 'status', status: 429, retryAfter: '30', match: (m, p) => onSecondPage(m, p) });
    const limited = await sync();
    expect(limited).toMatchObject({ outcome: 'failed', retryAfterSeconds: 30, newExecutions: 250 });
    const status = await api(`/v1/n8n/instances/${instanceId}`);
    expect(status.body).toMatchObject({ status: 'error', consecutiveFailures: 1, lastError: expect.stringContaining('rate limiting') });
    for (const fault of [{ kind: 'status' as const, status: 500 }, { kind: 'hang' as const }, { kind: 'malformed' as const }]) {
      n8n.fault({ ...fault, match: (m, p) => m === 'GET' && p === '/executions' });
      expect((await sync()).outcome).toBe('failed');
    }
    const before = n8n.requests.length;
    const resumed = await sync();
    expect(resumed).toMatchObject({ outcome: 'synced', newExecutions: 350 });
    // It resumed from the saved cursor instead of walking from the newest again.
    expect(n8n.requests.slice(before).find((r) => r.path === '/executions')?.query.cursor).toBeDefined();
    expect((await api(`/v1/n8n/instances/${instanceId}`)).body).toMatchObject({ status: 'ok', consecutiveFailures: 0, lastError: null });
    expect((await sync()).newExecutions).toBe(0);
  });

  it('survives pruning of unfinished executions and deleted workflows', async () => {
    const wf = n8n.addWorkflow({ name: 'cleanup' });
    const [stuck] = n8n.addExecutions(wf.id, 2, () => ({ status: 'waiting', stoppedAt: null }));
    await sync();
    n8n.prune([stuck!.id]);
    n8n.deleteWorkflow(wf.id);
    expect((await sync()).outcome).toBe('synced');
    const gone = await api(`/v1/n8n/executions/${instanceId}:${stuck!.id}`);
    expect(gone.body).toMatchObject({ status: 'waiting', goneFromN8n: true });
    const deleted = await api(`/v1/n8n/workflows/${instanceId}:${wf.id}`);
    expect(deleted.body.deletedAt).toEqual(expect.any(String));
    const live = await api('/v1/n8n/workflows');
    expect(live.body.items.map((w: any) => w.name)).toEqual(['orders']);
  });

  it('the scheduled poll syncs every instance; one instance down never stops the others', async () => {
    const res = await api('/v1/n8n/instances', { method: 'POST', json: { name: 'staging', baseUrl: other.url, apiKey: other.apiKey } });
    expect(res.status).toBe(201);
    const wf = other.addWorkflow({ name: 'staging-flow' });
    other.addExecutions(wf.id, 5);
    n8n.fault({ kind: 'status', status: 500, times: 50 });
    const { handler } = await import('#functions/n8n-monitor/sync/poll.handler.ts');
    const out = await handler({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} }, {
      getRemainingTimeInMillis: () => 300_000,
    } as never);
    expect(out).toEqual({ instances: 2, failed: 1 });
    n8n.clearFaults();
    expect((await api(`/v1/n8n/executions?instanceId=${res.body.instanceId}`)).body.items).toHaveLength(5);
    expect((await api(`/v1/n8n/instances/${instanceId}`)).body.status).toBe('error');
    await sync();
    expect(other.violations).toEqual([]);
  });
});

describe('reads and actions', () => {
  it('lists workflows with health, executions by filter with cursors, and metrics', async () => {
    const wfId = `${instanceId}:${[...n8n.workflows.values()][0]!.id}`;
    const window = `from=${new Date(n8n.baseTime - 3_600_000).toISOString()}&to=${new Date(n8n.baseTime + 23 * 3_600_000).toISOString()}`;
    const workflow = await api(`/v1/n8n/workflows/${wfId}?${window}`);
    expect(workflow.status).toBe(200);
    expect(workflow.body.health).toMatchObject({ runs: expect.any(Number), failures: 61, lastFailureMessage: expect.any(String) });
    expect(workflow.body.health.failureRate).toBeGreaterThan(0);
    expect(workflow.body.health.p95DurationMs).toBeGreaterThanOrEqual(workflow.body.health.p50DurationMs);
    const failed = await api(`/v1/n8n/executions?workflowId=${wfId}&status=failed&limit=50`);
    expect(failed.body.items).toHaveLength(50);
    expect(failed.body.items.every((e: any) => e.status === 'error')).toBe(true);
    const next = await api(`/v1/n8n/executions?workflowId=${wfId}&status=failed&limit=50&cursor=${failed.body.nextCursor}`);
    expect(next.body.items).toHaveLength(11);
    expect(new Set([...failed.body.items, ...next.body.items].map((e: any) => e.executionId)).size).toBe(61);
    const metrics = await api(`/v1/n8n/metrics?workflowId=${wfId}&${window}&bucket=1h`);
    expect(metrics.status).toBe(200);
    expect(metrics.body.series).toHaveLength(24);
    expect(metrics.body.series.reduce((n: number, b: any) => n + b.failures, 0)).toBe(61);
  });

  it('activates, deactivates, retries and stops through n8n', async () => {
    const wf = [...n8n.workflows.values()][0]!;
    const off = await api(`/v1/n8n/workflows/${instanceId}:${wf.id}/deactivate`, { method: 'POST' });
    expect(off.body.active).toBe(false);
    expect(n8n.workflows.get(wf.id)!.active).toBe(false);
    expect((await api(`/v1/n8n/workflows/${instanceId}:${wf.id}/activate`, { method: 'POST' })).body.active).toBe(true);
    const failedId = [...n8n.executions.values()].find((e) => e.status === 'error')!.id;
    const retry = await api(`/v1/n8n/executions/${instanceId}:${failedId}/retry`, { method: 'POST' });
    expect(retry.status, retry.text).toBe(200);
    expect(retry.body).toMatchObject({ status: 'running', retryOf: `${instanceId}:${failedId}` });
    const stop = await api(`/v1/n8n/executions/${retry.body.executionId}/stop`, { method: 'POST' });
    expect(stop.body.status).toBe('canceled');
    expect((await api(`/v1/n8n/executions/${retry.body.executionId}/stop`, { method: 'POST' })).status).toBe(409);
    expect((await api(`/v1/n8n/executions/${retry.body.executionId}/stop`, { method: 'POST' }, viewer)).status).toBe(403);
    expect(n8n.violations).toEqual([]);
  });

  it('refuses bad reads with 400 naming the field and hides other tenants', async () => {
    const cases: Array<[string, string]> = [
      ['/v1/n8n/executions?status=exploded', 'query.status'],
      ['/v1/n8n/executions?limit=0', 'query.limit'],
      ['/v1/n8n/executions?workflowId=nope', 'query.workflowId'],
      ['/v1/n8n/executions?cursor=garbage', 'query.cursor'],
      ['/v1/n8n/executions?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'query.from'],
      ['/v1/n8n/metrics?bucket=7m', 'query.bucket'],
      ['/v1/n8n/metrics?bucket=5m&from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'query.bucket'],
      ['/v1/n8n/workflows?from=yesterday', 'query.from'],
      ['/v1/n8n/executions/n8i_AAAAAAAAAAAAAAAA:abc', 'params.executionId'],
    ];
    for (const [path, field] of cases) {
      const res = await api(path);
      expect(res.status, path).toBe(400);
      expect(errorPaths(res), path).toContain(field);
    }
    const wfId = `${instanceId}:${[...n8n.workflows.values()][0]!.id}`;
    expect((await api(`/v1/n8n/workflows/${wfId}`, {}, stranger)).status).toBe(404);
    expect((await api(`/v1/n8n/workflows/${wfId}/activate`, { method: 'POST' }, stranger)).status).toBe(404);
    expect((await api(`/v1/n8n/executions/${instanceId}:1`, {}, stranger)).status).toBe(404);
    expect((await api('/v1/n8n/executions', {}, stranger)).body.items).toEqual([]);
  });
});

describe('alerts', () => {
  it('fires once to the WebSocket and a signed webhook, stores the firing, and resolves once', async () => {
    const wf = n8n.addWorkflow({ name: 'payments' });
    n8n.addExecutions(wf.id, 2);
    await sync();
    const created = await api('/v1/n8n/alerts', {
      method: 'POST',
      json: {
        name: 'payments failing',
        workflowId: `${instanceId}:${wf.id}`,
        condition: { kind: 'consecutive-failures', count: 3 },
        cooldownMinutes: 0,
        targets: { websocket: true, webhooks: [{ url: hookUrl }] },
      },
    });
    expect(created.status, created.text).toBe(201);
    const secret = created.body.webhookSecrets[0].secret as string;
    expect((await api(`/v1/n8n/alerts/${created.body.alertId}`)).text).not.toContain(secret);
    const ws = await rt.connect(rt.apiKey);
    ws.send({ action: 'subscribe', channel: 'n8n', id: 's' });
    await ws.nextMessage((m) => m.id === 's');

    n8n.addExecutions(wf.id, 3, () => ({ status: 'error' }));
    await sync();
    const pushed = await ws.nextMessage((m) => m.type === 'event' && m.event?.kind === 'n8n.alert.fired');
    expect(pushed.event.data).toMatchObject({ alertId: created.body.alertId, subject: `workflow:${instanceId}:${wf.id}` });
    expect(hooks).toHaveLength(1);
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(hooks[0]!.headers['x-mls-signature']))!;
    expect(createHmac('sha256', secret).update(`${t}.${hooks[0]!.body}`).digest('hex')).toBe(v1);

    n8n.addExecutions(wf.id, 1, () => ({ status: 'error' }));
    await sync();
    expect(hooks).toHaveLength(1);
    n8n.addExecutions(wf.id, 1);
    await sync();
    await ws.nextMessage((m) => m.type === 'event' && m.event?.kind === 'n8n.alert.resolved');
    expect(hooks).toHaveLength(2);
    const events = await api(`/v1/n8n/alerts/${created.body.alertId}/events`);
    expect(events.body.items.map((e: any) => e.kind)).toEqual(['resolved', 'fired']);
    expect(events.body.items[1].deliveries).toEqual([
      { target: 'websocket', ok: true },
      { target: `webhook:${hookUrl}`, ok: true },
    ]);
    // Both transitions also went to the stage's event bus (docs/operations.md), without the webhook secret.
    const bus = await fetchJson(`${rt.opsUrl}/events?source=mls.n8n-monitor`);
    const ofAlert = bus.body.items.filter((e: any) => e.detail.alertId === created.body.alertId);
    expect(ofAlert.map((e: any) => e.detailType)).toEqual(['Alert Resolved', 'Alert Fired']);
    expect(ofAlert[1].detail).toMatchObject({ tenantId: 'default', subject: `workflow:${instanceId}:${wf.id}`, kind: 'fired' });
    expect(JSON.stringify(ofAlert)).not.toContain(secret);
    await ws.close();
  });

  it('judges each rule kind on the synced data', async () => {
    const kinds = [
      { kind: 'failure-rate', threshold: 0.05, windowMinutes: 60 * 24 * 7, minRuns: 5 },
      { kind: 'duration', maxDurationMs: 1, windowMinutes: 60 * 24 * 7 },
      { kind: 'no-success', windowMinutes: 1 },
      { kind: 'instance-unreachable', failures: 1 },
    ];
    const ids: string[] = [];
    for (const condition of kinds) {
      const res = await api('/v1/n8n/alerts', {
        method: 'POST',
        json: { name: condition.kind, instanceId, condition, cooldownMinutes: 0, targets: { websocket: false } },
      });
      expect(res.status, res.text).toBe(201);
      ids.push(res.body.alertId);
    }
    n8n.fault({ kind: 'status', status: 503, times: 1 });
    await sync();
    for (const [i, id] of ids.entries()) {
      const rule = await api(`/v1/n8n/alerts/${id}`);
      expect(rule.body.firing.length, kinds[i]!.kind).toBeGreaterThan(0);
    }
    await sync();
    const unreachable = await api(`/v1/n8n/alerts/${ids[3]}/events`);
    expect(unreachable.body.items.map((e: any) => e.kind)).toEqual(['resolved', 'fired']);
  });

  it('refuses bad rules and hides other tenants', async () => {
    const bad: Array<[unknown, string]> = [
      [{ name: 'x', condition: { kind: 'nope' } }, 'body.condition.kind'],
      [{ name: 'x', condition: { kind: 'failure-rate', threshold: 2, windowMinutes: 5 } }, 'body.condition.threshold'],
      [{ name: 'x', condition: { kind: 'consecutive-failures', count: 0 } }, 'body.condition.count'],
      [
        { name: 'x', condition: { kind: 'consecutive-failures', count: 2 }, targets: { webhooks: [{ url: 'file:///etc/passwd' }] } },
        'body.targets.webhooks.0.url',
      ],
      [{ name: 'x', condition: { kind: 'consecutive-failures', count: 2 }, cooldownMinutes: -1 }, 'body.cooldownMinutes'],
    ];
    for (const [json, field] of bad) {
      const res = await api('/v1/n8n/alerts', { method: 'POST', json });
      expect(res.status, JSON.stringify(json)).toBe(400);
      expect(errorPaths(res)).toContain(field);
    }
    const list = await api('/v1/n8n/alerts');
    expect((await api(`/v1/n8n/alerts/${list.body.items[0].alertId}`, {}, stranger)).status).toBe(404);
    expect((await api(`/v1/n8n/alerts/${list.body.items[0].alertId}/events`, {}, stranger)).status).toBe(404);
    expect(
      (await api('/v1/n8n/alerts', { method: 'POST', json: { name: 'x', condition: { kind: 'no-success', windowMinutes: 5 } } }, viewer)).status,
    ).toBe(403);
    expect(
      (
        await api('/v1/n8n/alerts', {
          method: 'POST',
          json: { name: 'x', instanceId: 'n8i_AAAAAAAAAAAAAAAA', condition: { kind: 'no-success', windowMinutes: 5 } },
        })
      ).status,
    ).toBe(404);
  });
});

describe('templates', () => {
  const workflow = {
    name: 'Hello hook',
    nodes: [
      { name: 'Webhook', type: 'n8n-nodes-base.webhook', typeVersion: 2, position: [0, 0], parameters: { path: 'hello' } },
      { name: 'Respond', type: 'n8n-nodes-base.respondToWebhook', typeVersion: 1, position: [200, 0], parameters: {} },
    ],
    connections: { Webhook: { main: [[{ node: 'Respond', type: 'main', index: 0 }]] } },
    settings: { executionOrder: 'v1' },
    id: 'read-only-id',
    active: true,
  };

  it('stores versions, deploys (create, then update) with activation, and exports back', async () => {
    const created = await api('/v1/n8n/templates', { method: 'POST', json: { name: 'hello', workflow } });
    expect(created.status, created.text).toBe(201);
    expect(created.body.workflow).not.toHaveProperty('id');
    const templateId = created.body.templateId;
    const deployed = await api(`/v1/n8n/templates/${templateId}/deploy`, { method: 'POST', json: { instanceId, activate: true } });
    expect(deployed.status, deployed.text).toBe(200);
    expect(deployed.body).toMatchObject({ created: true, active: true, version: 1 });
    expect(n8n.workflows.get(deployed.body.n8nId)).toMatchObject({ name: 'Hello hook', active: true });
    const v2 = await api(`/v1/n8n/templates/${templateId}/versions`, { method: 'POST', json: { workflow: { ...workflow, name: 'Hello hook v2' } } });
    expect(v2.body.version.version).toBe(2);
    const redeployed = await api(`/v1/n8n/templates/${templateId}/deploy`, { method: 'POST', json: { instanceId, activate: false } });
    expect(redeployed.body).toMatchObject({ created: false, n8nId: deployed.body.n8nId, version: 2 });
    expect(n8n.workflows.get(deployed.body.n8nId)!.name).toBe('Hello hook v2');
    const exported = await api(`/v1/n8n/templates/${templateId}/export`, {
      method: 'POST',
      json: { workflowId: `${instanceId}:${deployed.body.n8nId}` },
    });
    expect(exported.status, exported.text).toBe(201);
    expect(exported.body.version).toMatchObject({ version: 3, source: { kind: 'export' } });
    expect((await api(`/v1/n8n/templates/${templateId}?version=1`)).body.workflow.name).toBe('Hello hook');
    expect((await api(`/v1/n8n/templates/${templateId}/versions`)).body.items.map((v: any) => v.version)).toEqual([3, 2, 1]);
    expect(n8n.violations).toEqual([]);
    expect((await api(`/v1/n8n/templates/${templateId}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api(`/v1/n8n/templates/${templateId}`)).status).toBe(404);
  });

  it('refuses what is not a workflow, embedded credentials and dangling connections', async () => {
    const cases: Array<[unknown, string]> = [
      [{ hello: 'world' }, 'body.workflow.nodes'],
      [{ ...workflow, nodes: [] }, 'body.workflow.nodes'],
      [
        { ...workflow, nodes: [{ ...workflow.nodes[0], credentials: { httpBasicAuth: { id: '1', name: 'x' } } }, workflow.nodes[1]] },
        'body.workflow.nodes.0.credentials',
      ],
      [
        { ...workflow, nodes: [{ ...workflow.nodes[0], parameters: { apiKey: 'sk-live-123' } }, workflow.nodes[1]] },
        'body.workflow.nodes.0.parameters.apiKey',
      ],
      [{ ...workflow, connections: { Webhook: { main: [[{ node: 'Ghost', type: 'main', index: 0 }]] } } }, 'body.workflow.connections.Webhook.main'],
    ];
    for (const [wf, field] of cases) {
      const res = await api('/v1/n8n/templates', { method: 'POST', json: { name: 'bad', workflow: wf } });
      expect(res.status, JSON.stringify(wf).slice(0, 80)).toBe(400);
      expect(errorPaths(res).join(','), field).toContain(field);
    }
    expect((await api('/v1/n8n/templates')).body.items).toEqual([]);
    const big = await api('/v1/n8n/templates', { method: 'POST', json: { name: 'big', workflow: { ...workflow, pad: 'x'.repeat(300_000) } } });
    expect(big.status).toBe(413);
    expect((await api('/v1/n8n/templates', { method: 'POST', json: { name: 'x', workflow } }, viewer)).status).toBe(403);
  });
});
