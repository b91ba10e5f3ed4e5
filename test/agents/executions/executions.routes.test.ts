/** Every executions route refuses bad input with a problem naming the field, hides other tenants, and checks roles. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, createAgent, createTenant, startExecution, startHarness, uploadImage, waitForExecution, type Harness } from './execution-fixtures.ts';

let h: Harness;
let agentId: string;
let executionId: string;
let otherTenant: string;
let other: string;
let viewer: string;

beforeAll(async () => {
  h = await startHarness();
  agentId = await createAgent(h, { provider: 'openai' });
  h.models.setDefault({ text: 'ok' });
  executionId = (await startExecution(h, agentId, { text: 'hi' })).executionId;
  await waitForExecution(h, executionId);
  otherTenant = await createTenant(h);
  other = await h.rt.mintJwt({ sub: 'user-other', tenantId: otherTenant, roles: ['admin'] });
  viewer = await h.rt.mintJwt({ sub: 'user-viewer', roles: ['viewer'] });
});
afterAll(() => h?.stop());

const call = (method: string, path: string, token: string, init: { json?: unknown; body?: string; headers?: Record<string, string> } = {}) =>
  h.rt.fetchJson(path, {
    method,
    headers: { ...auth(token), ...(init.body !== undefined && { 'content-type': 'application/json' }), ...init.headers },
    ...(init.json !== undefined && { json: init.json }),
    ...(init.body !== undefined && { body: init.body }),
  });

const expectProblem = (res: { status: number; headers: Headers; body: any }, status: number, path?: string) => {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  if (path) expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
};

describe('POST /v1/agents/{agentId}/executions', () => {
  const start = (token: string, init: Parameters<typeof call>[3], id = agentId) => call('POST', `/v1/agents/${id}/executions`, token, init);

  it('rejects malformed JSON, wrong types, missing and unknown fields, and oversize bodies', async () => {
    expectProblem(await start(h.admin, { body: '{"text": ' }), 400, 'body');
    expectProblem(await start(h.admin, { json: { text: 42 } }), 400, 'body.text');
    expectProblem(await start(h.admin, { json: {} }), 400, 'body.text');
    expectProblem(await start(h.admin, { json: { text: '' } }), 400, 'body.text');
    expectProblem(await start(h.admin, { json: { text: 'hi', extra: true } }), 400, 'body');
    expectProblem(await start(h.admin, { json: { images: [{ fileId: 'nope' }] } }), 400, 'body.images.0.fileId');
    expectProblem(await start(h.admin, { json: { images: [] } }), 400, 'body.images');
    expectProblem(await start(h.admin, { json: { text: 'x'.repeat(300 * 1024) } }), 413);
    // PostgreSQL refuses NUL in jsonb and text, and lone surrogates in jsonb; zod lets both through.
    expectProblem(await start(h.admin, { json: { text: 'a\u0000b' } }), 400, 'body.text');
    expectProblem(await start(h.admin, { json: { text: 'a\udc00' } }), 400, 'body.text');
  });

  it('rejects a bad agent id, an unknown agent, a bad Idempotency-Key, and images that are not usable', async () => {
    expectProblem(await start(h.admin, { json: { text: 'hi' } }, 'not-an-id'), 400, 'params.agentId');
    expectProblem(await start(h.admin, { json: { text: 'hi' } }, 'agt_doesnotexist00'), 404);
    expectProblem(await start(h.admin, { json: { text: 'hi' }, headers: { 'idempotency-key': 'has space' } }), 400, 'headers.idempotency-key');
    expectProblem(await start(h.admin, { json: { images: [{ fileId: 'fil_missing0000000' }] } }), 400, 'body.images.0.fileId');
    const text = await uploadImage(h, 'default', Buffer.from('plain'), 'text/plain');
    expectProblem(await start(h.admin, { json: { images: [{ fileId: text }] } }), 400, 'body.images.0.fileId');
    // Another tenant's image is not there for this caller.
    const foreign = await uploadImage(h, otherTenant);
    expectProblem(await start(h.admin, { json: { text: 'hi', images: [{ fileId: foreign }] } }), 400, 'body.images.0.fileId');
  });

  it("answers 404 for another tenant's agent and 403 for a viewer", async () => {
    expectProblem(await start(other, { json: { text: 'hi' } }), 404);
    expectProblem(await start(viewer, { json: { text: 'hi' } }), 403);
  });
});

describe('reading an execution', () => {
  it('validates ids and query parameters', async () => {
    expectProblem(await call('GET', '/v1/executions/bad-id', h.admin), 400, 'params.executionId');
    expectProblem(await call('GET', '/v1/executions/exe_doesnotexist00', h.admin), 404);
    expectProblem(await call('GET', `/v1/executions/${executionId}/steps?limit=0`, h.admin), 400, 'query.limit');
    expectProblem(await call('GET', `/v1/executions/${executionId}/steps?cursor=garbage`, h.admin), 400, 'query.cursor');
    const crafted = Buffer.from(JSON.stringify({ s: 2 ** 40 })).toString('base64url');
    expectProblem(await call('GET', `/v1/executions/${executionId}/steps?cursor=${crafted}`, h.admin), 400, 'query.cursor');
    expectProblem(await call('GET', `/v1/executions/exe_%00/steps`, h.admin), 400, 'params.executionId');
    expectProblem(await call('GET', `/v1/executions/bad-id/steps`, h.admin), 400, 'params.executionId');
    expectProblem(await call('GET', `/v1/executions/${executionId}/events?afterSeq=-1`, h.admin), 400, 'query.afterSeq');
    expectProblem(await call('GET', `/v1/executions/${executionId}/events?limit=abc`, h.admin), 400, 'query.limit');
  });

  it('lets a viewer read, pages events by afterSeq and steps by cursor', async () => {
    const res = await call('GET', `/v1/executions/${executionId}`, viewer);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ executionId, status: 'succeeded', output: { text: 'ok' } });
    const first = await call('GET', `/v1/executions/${executionId}/events?limit=1`, viewer);
    expect(first.body.items).toHaveLength(1);
    const rest = await call('GET', `/v1/executions/${executionId}/events?afterSeq=${first.body.nextAfterSeq}`, viewer);
    expect(rest.body.items[0].seq).toBe(first.body.items[0].seq + 1);
    expect(rest.body.items.at(-1).kind).toBe('execution.succeeded');
    const steps = await call('GET', `/v1/executions/${executionId}/steps?limit=1`, viewer);
    expect(steps.body).toMatchObject({ items: [{ stepNo: 1, kind: 'model' }], nextCursor: null });
  });

  it("answers 404 for another tenant's execution on every route", async () => {
    for (const path of ['', '/steps', '/events']) expectProblem(await call('GET', `/v1/executions/${executionId}${path}`, other), 404);
    expectProblem(await call('POST', `/v1/executions/${executionId}/cancel`, other), 404);
    expectProblem(await call('POST', `/v1/executions/${executionId}/approvals`, other, { json: { decision: 'approve' } }), 404);
  });
});

describe('cancel and approvals', () => {
  it('validate input and roles', async () => {
    expectProblem(await call('POST', '/v1/executions/bad-id/cancel', h.admin), 400, 'params.executionId');
    expectProblem(await call('POST', `/v1/executions/${executionId}/cancel`, viewer), 403);
    expectProblem(await call('POST', `/v1/executions/${executionId}/cancel`, h.admin), 409);
    const approvals = `/v1/executions/${executionId}/approvals`;
    expectProblem(await call('POST', approvals, h.admin, { body: '{' }), 400, 'body');
    expectProblem(await call('POST', approvals, h.admin, { json: {} }), 400, 'body.decision');
    expectProblem(await call('POST', approvals, h.admin, { json: { decision: 'maybe' } }), 400, 'body.decision');
    expectProblem(await call('POST', approvals, h.admin, { json: { decision: 'approve', comment: 7 } }), 400, 'body.comment');
    expectProblem(await call('POST', approvals, h.admin, { json: { decision: 'approve', comment: 'x'.repeat(2001) } }), 400, 'body.comment');
    expectProblem(await call('POST', approvals, viewer, { json: { decision: 'approve' } }), 403);
    expectProblem(await call('POST', approvals, h.admin, { json: { decision: 'approve' } }), 409);
  });
});
