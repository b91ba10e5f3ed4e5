/**
 * Per-tenant rate limits as a client sees them, through the local runtime's gateway, authorizer and the
 * real handlers, with the tenant-wide limit lowered to 5 requests per minute. Each test uses its own tenant
 * (a JWT with a fresh `tenant_id`), so the tests do not share a budget.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemOf } from '../support/problem.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startTestRuntime({ env: { RATE_LIMIT_PER_MINUTE: '5' } });
});
afterAll(() => rt?.stop());

let tenants = 0;
const tenantToken = () => rt.mintJwt({ tenantId: `ten_rl${++tenants}`, roles: ['developer'] });
const getMe = (token: string) => rt.fetchJson('/v1/me', { headers: { authorization: `Bearer ${token}` } });

describe('rate limits', () => {
  it("answers a tenant's 6th request in a minute with 429, Retry-After and problem+json", async () => {
    const token = await tenantToken();
    for (let i = 1; i <= 5; i++) {
      const res = await getMe(token);
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-limit')).toBe('5');
      expect(res.headers.get('ratelimit-remaining')).toBe(String(5 - i));
    }
    const res = await getMe(token);
    expect(res.status).toBe(429);
    expect(problemOf(res)).toMatchObject({ type: '/problems/too-many-requests', status: 429 });
    expect(res.body.detail).toContain('5 requests per minute');
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
    expect(res.headers.get('ratelimit-remaining')).toBe('0');
  });

  it("counts every authenticated route against the tenant's budget, whatever the answer", async () => {
    const token = await tenantToken();
    const headers = { authorization: `Bearer ${token}` };
    // A missing agent (404) and a bad body (400) use up the budget like successes do.
    expect((await rt.fetchJson('/v1/agents/agt_missing0000', { headers })).status).toBe(404);
    expect((await rt.fetchJson('/v1/agents', { method: 'POST', headers, json: {} })).status).toBe(400);
    for (let i = 0; i < 3; i++) expect((await getMe(token)).status).toBe(200);
    const res = await rt.fetchJson('/v1/agents', { headers });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('leaves another tenant unaffected', async () => {
    const busy = await tenantToken();
    for (let i = 0; i < 6; i++) await getMe(busy);
    expect((await getMe(busy)).status).toBe(429);

    const res = await getMe(await tenantToken());
    expect(res.status).toBe(200);
    expect(res.headers.get('ratelimit-remaining')).toBe('4');
  });

  it('never limits GET /health', async () => {
    for (let i = 0; i < 8; i++) {
      const res = await rt.fetchJson('/health');
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-limit')).toBeNull();
    }
  });
});
