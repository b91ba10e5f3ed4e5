/**
 * The monitor against a real n8n (opt-in: `npm run test:n8n`, never in `npm test`). n8n is booted through the
 * `--with-n8n` path (local/n8n.ts: installed into ~/.cache/mls on first use, 10 to 30 minutes and 3 GB; then
 * about a minute to start), so a first run takes a while; later runs reuse the install.
 *
 * A template with a webhook trigger is deployed and activated through the API; the webhook is called once to
 * succeed and once to fail; a sync then shows both executions (the failure with its message and failing
 * node), the metrics count them, and a consecutive-failures rule fires, over REST and on the WebSocket.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { n8nOwnerAdapter } from '#functions/n8n-monitor/n8n/n8n-owner.adapter.ts';
import { instanceRepository } from '#functions/n8n-monitor/n8n-monitor.composition.ts';
import { setupStackN8n } from '#functions/n8n-monitor/instances/stack-n8n.service.ts';
import { credentialsBox } from '#shared/sealed-secrets.ts';
import { attachLocalN8n, ensureAccess, type AttachedN8n, type N8nAccess } from '../../local/n8n.ts';
import { startTestRuntime, type TestRuntime, type WsClient } from '../support/runtime.ts';

let rt: TestRuntime;
let attached: AttachedN8n;
let ws: WsClient;

beforeAll(async () => {
  rt = await startTestRuntime({ scheduler: false });
  attached = await attachLocalN8n(rt, { port: 0, name: 'real n8n', log: () => undefined });
  ws = await rt.connect(rt.apiKey);
  ws.send({ action: 'subscribe', channel: 'n8n', id: 'sub' });
  await ws.nextMessage((m) => m.id === 'sub');
}, 2_700_000);

afterAll(async () => {
  await ws?.close();
  await attached?.n8n.stop();
  await rt?.stop();
}, 60_000);

const path = `mls-real-${randomUUID().slice(0, 8)}`;
/** Webhook -> IF ?fail=1 -> "Fail" (Stop and Error) or "Done" (No Op). */
const workflow = {
  name: 'mls real-n8n test',
  nodes: [
    {
      name: 'Webhook',
      type: 'n8n-nodes-base.webhook',
      typeVersion: 2,
      position: [0, 0],
      webhookId: randomUUID(),
      parameters: { httpMethod: 'GET', path, responseMode: 'onReceived' },
    },
    {
      name: 'Asked to fail?',
      type: 'n8n-nodes-base.if',
      typeVersion: 1,
      position: [220, 0],
      parameters: { conditions: { string: [{ value1: '={{ $json.query.fail }}', value2: '1' }] } },
    },
    { name: 'Fail', type: 'n8n-nodes-base.stopAndError', typeVersion: 1, position: [440, -100], parameters: { errorMessage: 'asked to fail' } },
    { name: 'Done', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [440, 100], parameters: {} },
  ],
  connections: {
    Webhook: { main: [[{ node: 'Asked to fail?', type: 'main', index: 0 }]] },
    'Asked to fail?': { main: [[{ node: 'Fail', type: 'main', index: 0 }], [{ node: 'Done', type: 'main', index: 0 }]] },
  },
  settings: { executionOrder: 'v1' },
};

describe('the monitor against a real n8n started by --with-n8n', () => {
  it('is registered for the default tenant and syncs', async () => {
    const auth = { headers: { 'x-api-key': rt.apiKey } };
    const instance = await rt.fetchJson(`/v1/n8n/instances/${attached.instance.instanceId}`, auth);
    expect(instance.status).toBe(200);
    expect(instance.body).toMatchObject({ name: 'real n8n', baseUrl: attached.n8n.url });
    expect(instance.text).not.toContain(attached.n8n.apiKey);
    const sync = await rt.fetchJson(`/v1/n8n/instances/${attached.instance.instanceId}/sync`, { method: 'POST', ...auth });
    expect(sync.status).toBe(200);
    expect(sync.body.outcome).toBe('synced');
  });

  it('deploys a webhook template, sees a success and a failure, their metrics, and a fired alert over REST and WebSocket', async () => {
    const headers = { 'x-api-key': rt.apiKey };
    const instanceId = attached.instance.instanceId;
    const template = await rt.fetchJson('/v1/n8n/templates', { method: 'POST', headers, json: { name: 'webhook test', workflow } });
    expect(template.status).toBe(201);
    const deployed = await rt.fetchJson(`/v1/n8n/templates/${template.body.templateId}/deploy`, {
      method: 'POST',
      headers,
      json: { instanceId, activate: true },
    });
    expect(deployed.status, deployed.text).toBe(200);
    expect(deployed.body).toMatchObject({ created: true, active: true });
    const workflowId: string = deployed.body.workflowId;

    const rule = await rt.fetchJson('/v1/n8n/alerts', {
      method: 'POST',
      headers,
      json: { name: 'webhook test failing', workflowId, condition: { kind: 'consecutive-failures', count: 1 }, targets: { websocket: true } },
    });
    expect(rule.status, rule.text).toBe(201);

    // n8n registers an activated workflow's webhook asynchronously: retry the first call briefly.
    const call = async (query: string) => {
      for (let attempt = 0; ; attempt++) {
        const response = await fetch(`${attached.n8n.url}/webhook/${path}${query}`);
        if (response.ok || attempt >= 20) return response.status;
        await new Promise((r) => setTimeout(r, 500));
      }
    };
    expect(await call('')).toBe(200);
    expect(await call('?fail=1')).toBe(200);

    // Sync until both executions are stored finished (n8n ends them right after answering the webhook).
    type Execution = { status: string; errorMessage: string | null; errorNode: string | null; durationMs: number | null };
    let executions: Execution[] = [];
    for (let attempt = 0; attempt < 30; attempt++) {
      const sync = await rt.fetchJson(`/v1/n8n/instances/${instanceId}/sync`, { method: 'POST', headers });
      expect(sync.status, sync.text).toBe(200);
      const page = await rt.fetchJson(`/v1/n8n/executions?workflowId=${encodeURIComponent(workflowId)}`, { headers });
      executions = page.body.items;
      if (executions.length === 2 && executions.every((e) => e.status === 'success' || e.status === 'error')) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(executions.map((e) => e.status).sort()).toEqual(['error', 'success']);
    const failure = executions.find((e) => e.status === 'error')!;
    expect(failure.errorMessage).toContain('asked to fail');
    expect(failure.errorNode).toBe('Fail');
    expect(executions.every((e) => typeof e.durationMs === 'number' && e.durationMs >= 0)).toBe(true);

    const failed = await rt.fetchJson(`/v1/n8n/executions?workflowId=${encodeURIComponent(workflowId)}&status=failed`, { headers });
    expect(failed.body.items).toHaveLength(1);

    const metrics = await rt.fetchJson(`/v1/n8n/metrics?workflowId=${encodeURIComponent(workflowId)}&bucket=1d`, { headers });
    expect(metrics.status).toBe(200);
    const totals = (metrics.body.series as Array<{ runs: number; failures: number }>).reduce(
      (sum, b) => ({ runs: sum.runs + b.runs, failures: sum.failures + b.failures }),
      { runs: 0, failures: 0 },
    );
    expect(totals).toEqual({ runs: 2, failures: 1 });

    const health = await rt.fetchJson(`/v1/n8n/workflows/${encodeURIComponent(workflowId)}`, { headers });
    expect(health.body.health).toMatchObject({ runs: 2, failures: 1, failureRate: 0.5 });

    const events = await rt.fetchJson(`/v1/n8n/alerts/${rule.body.alertId}/events`, { headers });
    expect(events.status).toBe(200);
    expect(events.body.items.map((e: { kind: string }) => e.kind)).toContain('fired');

    const pushedAlert = await ws.nextMessage((m) => m.type === 'event' && m.event?.kind === 'n8n.alert.fired', 20_000);
    expect(pushedAlert.event.data).toMatchObject({ alertId: rule.body.alertId });
    // The sync that stored them said so on the channel (a first sync of an instance publishes no per-execution events).
    const pushedSync = await ws.nextMessage(
      (m) => m.type === 'event' && m.event?.kind === 'n8n.sync' && m.event.data?.instanceId === instanceId && m.event.data?.failures >= 1,
      20_000,
    );
    expect(pushedSync.event.data.outcome).toBe('synced');
  });

  it('signs in with kept owner credentials and replaces an API key n8n no longer accepts (what npm run n8n:setup does)', async () => {
    let saved: N8nAccess | undefined;
    const store = {
      describe: 'a test store',
      load: async () => ({ ...attached.n8n.owner, apiKey: 'n8n_api_revoked' }),
      save: async (access: N8nAccess) => {
        saved = access;
      },
    };
    const { apiKey } = await ensureAccess(attached.n8n.url, store, () => undefined);
    expect(apiKey).not.toBe('n8n_api_revoked');
    expect(saved?.apiKey).toBe(apiKey);
    const response = await fetch(`${attached.n8n.url}/api/v1/workflows?limit=1`, { headers: { 'X-N8N-API-KEY': apiKey } });
    expect(response.status).toBe(200);
    // A wrong password is n8n's refusal, not a silent new owner.
    await expect(
      ensureAccess(attached.n8n.url, { ...store, load: async () => ({ ...attached.n8n.owner, password: 'Wrong-password-1' }) }, () => undefined),
    ).rejects.toThrow(/401/);
  });

  it('the deploy-time setup (setup-stack-n8n) signs in, replaces a dead key and registers, reaching n8n by another name', async () => {
    const kept: N8nAccess = { ...attached.n8n.owner, apiKey: 'n8n_api_revoked' };
    const store = {
      describe: 'a test store',
      load: async () => ({ ...kept }),
      save: async (access: N8nAccess) => {
        if (access.apiKey) kept.apiKey = access.apiKey;
      },
    };
    // As on ECS: n8n's name does not resolve (yet); the connection goes to the "load balancer" (loopback here).
    const url = `http://n8n.stack.invalid:${new URL(attached.n8n.url).port}`;
    const ports = {
      owner: n8nOwnerAdapter(url, store, () => undefined, {
        policy: { allowPrivateNetworks: true, alwaysRefuseLinkLocal: true },
        resolveAs: 'localhost',
      }),
      repo: await instanceRepository(),
      box: await credentialsBox(),
    };
    const input = { tenantId: 'default', name: 'stack n8n', baseUrl: attached.n8n.url, budgetMs: 30_000 };
    const first = await setupStackN8n(ports, input);
    expect(first).toMatchObject({ status: 'registered', steps: ['signed-in', 'key-created'] });
    expect(kept.apiKey).not.toBe('n8n_api_revoked');
    const second = await setupStackN8n(ports, input);
    expect(second).toMatchObject({ status: 'registered', steps: ['key-reused'] });
    expect(second.status === 'registered' && first.status === 'registered' && second.instance.instanceId).toBe(
      first.status === 'registered' && first.instance.instanceId,
    );
    const synced = await rt.fetchJson(`/v1/n8n/instances/${second.status === 'registered' ? second.instance.instanceId : ''}/sync`, {
      method: 'POST',
      headers: { 'x-api-key': rt.apiKey },
    });
    expect(synced.status, synced.text).toBe(200);
    expect(synced.body.outcome).not.toBe('error');
  });
});
