/**
 * Contract tests against n8n's own OpenAPI document (test/fixtures/n8n/openapi-2.41.1.yml): every request the
 * monitor's n8n client makes, and every response it parses, validates against it. The client runs against
 * the scripted n8n, which checks both sides of each exchange with the document.
 */
import { validate, compileErrors } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createN8nClient } from '#functions/n8n-monitor/n8n/n8n-api.adapter.ts';
import { N8nError, type N8nApi } from '#functions/n8n-monitor/n8n/n8n-api.ts';
import { loadN8nContract, N8N_OPENAPI_FILE, type N8nContract } from './support/n8n-openapi.ts';
import { startScriptedN8n, type ScriptedN8n } from './support/scripted-n8n.ts';

let contract: N8nContract;
let n8n: ScriptedN8n;
let client: N8nApi;

beforeAll(async () => {
  contract = await loadN8nContract();
  n8n = await startScriptedN8n({ contract });
  client = createN8nClient({ policy: { allowPrivateNetworks: true }, timeoutMs: 2000 })({ baseUrl: n8n.url, apiKey: n8n.apiKey });
});
afterAll(() => n8n?.close());

describe("n8n's OpenAPI document", () => {
  it('is a valid OpenAPI document and documents every operation the client uses', async () => {
    const result = await validate(N8N_OPENAPI_FILE);
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
    for (const op of [
      'GET /executions',
      'GET /executions/{executionId}',
      'POST /executions/{executionId}/retry',
      'POST /executions/{executionId}/stop',
      'GET /workflows',
      'GET /workflows/{workflowId}',
      'POST /workflows',
      'PUT /workflows/{workflowId}',
      'POST /workflows/{workflowId}/publish',
      'POST /workflows/{workflowId}/unpublish',
    ]) {
      expect(contract.operations.has(op), op).toBe(true);
    }
  });

  it('catches a non-conforming exchange (the checker is not a rubber stamp)', () => {
    expect(contract.checkRequest({ method: 'GET', path: '/executions', query: { limit: '500' } })).not.toEqual([]);
    expect(contract.checkRequest({ method: 'GET', path: '/executions', query: { sort: 'asc' } })).not.toEqual([]);
    expect(
      contract.checkRequest({
        method: 'POST',
        path: '/workflows',
        query: {},
        body: { name: 'x', nodes: [], connections: {}, settings: {}, active: true },
      }),
    ).not.toEqual([]);
    expect(contract.checkResponse({ method: 'GET', path: '/executions', query: {} }, 200, { data: [{ id: 1 }], nextCursor: null })).not.toEqual([]);
    expect(contract.checkResponse({ method: 'GET', path: '/executions', query: {} }, 200, { data: [], nextCursor: null })).toEqual([]);
    expect(contract.checkRequest({ method: 'GET', path: '/nope', query: {} })).not.toEqual([]);
  });
});

describe('the n8n client speaks the documented API', () => {
  it('lists executions page by page, reads one with its data, and both conform', async () => {
    const wf = n8n.addWorkflow({ name: 'orders' });
    n8n.addExecutions(wf.id, 7, (i) => (i === 3 ? { status: 'error', error: { message: 'Cannot read x', node: 'HTTP Request' } } : {}));
    const first = await client.listExecutions({ limit: 5 });
    expect(first.items.map((e) => Number(e.id))).toEqual([7, 6, 5, 4, 3]);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await client.listExecutions({ limit: 5, cursor: first.nextCursor! });
    expect(second.items.map((e) => Number(e.id))).toEqual([2, 1]);
    expect(second.nextCursor).toBeNull();
    const failed = await client.getExecution('4', { includeData: true });
    expect(failed).toMatchObject({ id: '4', status: 'error', error: { message: 'Cannot read x', node: 'HTTP Request' } });
    const errors = await client.listExecutions({ limit: 10, status: 'error', includeData: true });
    expect(errors.items.map((e) => e.id)).toEqual(['4']);
    expect(await client.getExecution('999', { includeData: false })).toBeUndefined();
    expect(n8n.violations).toEqual([]);
  });

  it('lists, reads, creates, updates, publishes and unpublishes workflows, all conforming', async () => {
    const page = await client.listWorkflows({ limit: 250 });
    expect(page.items[0]).toMatchObject({ name: 'orders', active: true, nodesCount: 2 });
    const doc = await client.getWorkflow(page.items[0]!.id);
    expect(doc).toMatchObject({ name: 'orders', nodes: expect.any(Array), connections: expect.any(Object) });
    const created = await client.createWorkflow({
      name: 'from template',
      nodes: [{ name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} }],
      connections: {},
      settings: { executionOrder: 'v1' },
    });
    expect(created).toMatchObject({ name: 'from template', active: false });
    const updated = await client.updateWorkflow(created.id, {
      name: 'from template v2',
      nodes: [{ name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} }],
      connections: {},
      settings: {},
    });
    expect(updated.name).toBe('from template v2');
    expect((await client.publishWorkflow(created.id)).active).toBe(true);
    expect((await client.unpublishWorkflow(created.id)).active).toBe(false);
    expect(await client.getWorkflow('missing')).toBeUndefined();
    expect(n8n.violations).toEqual([]);
  });

  it('retries a failed execution and stops a running one, conforming', async () => {
    const retry = await client.retryExecution('4');
    expect(retry).toMatchObject({ retryOf: '4', status: 'running' });
    const stopped = await client.stopExecution(retry.id);
    expect(stopped.status).toBe('canceled');
    await expect(client.stopExecution(retry.id)).rejects.toMatchObject({ kind: 'conflict' });
    expect(n8n.violations).toEqual([]);
  });

  it('turns 401, 429, 500, malformed pages and a hang into typed errors', async () => {
    const bad = createN8nClient({ policy: { allowPrivateNetworks: true } })({ baseUrl: n8n.url, apiKey: 'wrong' });
    await expect(bad.listWorkflows({ limit: 1 })).rejects.toMatchObject({ kind: 'unauthorized', status: 401 });
    n8n.fault({ kind: 'status', status: 429, retryAfter: '7' });
    await expect(client.listExecutions({ limit: 1 })).rejects.toMatchObject({ kind: 'rate-limited', retryAfterSeconds: 7 });
    n8n.fault({ kind: 'status', status: 500, message: 'database is locked' });
    await expect(client.listExecutions({ limit: 1 })).rejects.toMatchObject({
      kind: 'server',
      message: expect.stringContaining('database is locked'),
    });
    n8n.fault({ kind: 'malformed' });
    await expect(client.listExecutions({ limit: 5 })).rejects.toMatchObject({ kind: 'malformed', message: expect.stringContaining('data.0.id') });
    n8n.fault({ kind: 'not-json' });
    await expect(client.listExecutions({ limit: 5 })).rejects.toMatchObject({ kind: 'malformed' });
    n8n.fault({ kind: 'hang' });
    const quick = createN8nClient({ policy: { allowPrivateNetworks: true }, timeoutMs: 300 })({ baseUrl: n8n.url, apiKey: n8n.apiKey });
    await expect(quick.listExecutions({ limit: 1 })).rejects.toMatchObject({ kind: 'timeout' });
  });

  it('refuses private addresses unless the policy allows them, before sending anything', async () => {
    const strict = createN8nClient({ policy: { allowPrivateNetworks: false } })({ baseUrl: n8n.url, apiKey: n8n.apiKey });
    const before = n8n.requests.length;
    const error = await strict.listWorkflows({ limit: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(N8nError);
    expect(error).toMatchObject({ kind: 'refused' });
    const metadata = createN8nClient({ policy: { allowPrivateNetworks: true, alwaysRefuseLinkLocal: true } })({
      baseUrl: 'http://169.254.169.254',
      apiKey: 'k',
    });
    await expect(metadata.listWorkflows({ limit: 1 })).rejects.toMatchObject({ kind: 'refused' });
    expect(n8n.requests.length).toBe(before);
  });
});
