/** What an audit entry holds for a call: pure derivation from the route, the event and the response. */
import { describe, expect, it } from 'vitest';
import { auditEntryOf, isAudited, resourceOf } from '#shared/audit.ts';
import type { HttpRoute } from '#shared/manifest.types.ts';
import type { Principal } from '#shared/principal.ts';

const alice: Principal = { userId: 'alice', tenantId: 'ten_a', roles: ['admin'] };
const route = (method: HttpRoute['method'], path: string, extra: Partial<HttpRoute> = {}): HttpRoute => ({ method, path, summary: 't', ...extra });
const event = (pathParameters: Record<string, string> | null = null) => ({
  pathParameters,
  requestContext: { requestId: 'req-1', identity: { sourceIp: '203.0.113.9' } } as never,
});

describe('isAudited', () => {
  it('audits authenticated non-GET routes unless they are marked read-only', () => {
    expect(isAudited(route('POST', '/v1/agents'))).toBe(true);
    expect(isAudited(route('DELETE', '/v1/agents/{agentId}'))).toBe(true);
    expect(isAudited(route('GET', '/v1/agents'))).toBe(false);
    expect(isAudited(route('POST', '/v1/ide/analyze', { readOnly: true }))).toBe(false);
    expect(isAudited(route('POST', '/v1/public', { auth: 'none' }))).toBe(false);
  });
});

describe('resourceOf', () => {
  it('names the resource in the path, or what a create answered with', () => {
    expect(resourceOf('/v1/agents/{agentId}', { agentId: 'agt_1' }, 200, undefined)).toEqual({ type: 'agents', id: 'agt_1' });
    expect(resourceOf('/v1/agents', null, 201, JSON.stringify({ agentId: 'agt_2', name: 'x' }))).toEqual({ type: 'agents', id: 'agt_2' });
    expect(resourceOf('/v1/api-keys', null, 201, JSON.stringify({ keyId: 'key_1', apiKey: 'mls_secret' }))).toEqual({
      type: 'api-keys',
      id: 'key_1',
    });
    expect(resourceOf('/v1/agents/{agentId}/executions', { agentId: 'agt_1' }, 202, JSON.stringify({ executionId: 'exe_1' }))).toEqual({
      type: 'executions',
      id: 'exe_1',
    });
    expect(resourceOf('/v1/executions/{executionId}/cancel', { executionId: 'exe_1' }, 202, JSON.stringify({ status: 'cancelling' }))).toEqual({
      type: 'executions',
      id: 'exe_1',
    });
    // A refused create has no id; a failed one's body is a problem, not read.
    expect(resourceOf('/v1/agents', null, 400, JSON.stringify({ agentId: 'agt_x' }))).toEqual({ type: 'agents', id: null });
  });

  it('keeps only id-shaped values from a response body, and clips long path values', () => {
    expect(resourceOf('/v1/agents', null, 201, JSON.stringify({ agentId: 'has spaces and "quotes"' })).id).toBeNull();
    expect(resourceOf('/v1/agents', null, 201, 'not json').id).toBeNull();
    expect(resourceOf('/v1/agents/{agentId}', { agentId: 'x'.repeat(5000) }, 400, undefined).id).toHaveLength(200);
  });
});

describe('auditEntryOf', () => {
  it('records who, what, on which resource, the outcome, the request id and the source ip', () => {
    const entry = auditEntryOf(route('DELETE', '/v1/agents/{agentId}'), event({ agentId: 'agt_1' }), alice, 204, '');
    expect(entry).toEqual({
      tenantId: 'ten_a',
      principal: 'alice',
      action: 'DELETE /v1/agents/{agentId}',
      resourceType: 'agents',
      resourceId: 'agt_1',
      status: 204,
      outcome: 'succeeded',
      requestId: 'req-1',
      sourceIp: '203.0.113.9',
    });
    expect(auditEntryOf(route('POST', '/v1/agents'), event(), alice, 403, '')?.outcome).toBe('rejected');
    expect(auditEntryOf(route('POST', '/v1/agents'), event(), alice, 500, '')?.outcome).toBe('failed');
  });

  it('records nothing for reads, public routes, anonymous calls and rate-limited floods', () => {
    expect(auditEntryOf(route('GET', '/v1/agents'), event(), alice, 200, '')).toBeUndefined();
    expect(auditEntryOf(route('POST', '/v1/x', { auth: 'none' }), event(), alice, 200, '')).toBeUndefined();
    expect(auditEntryOf(route('POST', '/v1/agents'), event(), undefined, 201, '')).toBeUndefined();
    expect(auditEntryOf(route('POST', '/v1/agents'), event(), alice, 429, '')).toBeUndefined();
  });

  it('never carries the body of the call or of the answer', () => {
    const entry = auditEntryOf(
      route('POST', '/v1/api-keys'),
      event(),
      alice,
      201,
      JSON.stringify({ keyId: 'key_1', apiKey: 'mls_topsecret', name: 'ci' }),
    );
    expect(JSON.stringify(entry)).not.toMatch(/topsecret|"ci"/);
  });
});
