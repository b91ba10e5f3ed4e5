/** GET /openapi.json: generated from the manifest, valid OpenAPI 3.1 per @readme/openapi-parser. */
import { compileErrors, validate } from '@readme/openapi-parser';
import { describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import { flatManifest } from '#functions/manifest.ts';

const { functions } = flatManifest;
import { handler } from '#functions/platform/get-openapi.handler.ts';
import { handler as health } from '#functions/platform/health.handler.ts';
import { call } from '../helpers/events.ts';

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document with every manifest route, both credentials and problem responses', async () => {
    const res = await call(handler, { path: '/openapi.json' });
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(doc));
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);

    for (const fn of functions) {
      for (const route of fn.http ?? []) {
        const op = doc.paths[route.path]?.[route.method.toLowerCase()];
        expect(op, `${route.method} ${route.path}`).toBeDefined();
        if (route.auth === 'none') expect(op.security).toEqual([]);
        else {
          expect(op.security).toEqual([{ bearerJwt: [] }, { apiKey: [] }]);
          expect(op.responses['401'].content['application/problem+json']).toBeDefined();
        }
      }
    }
    expect(doc.components.securitySchemes).toEqual({
      bearerJwt: expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }),
      apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
    });
    expect(doc.paths['/v1/api-keys'].post.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/CreateApiKeyRequest',
    });
    expect(doc.paths['/v1/api-keys/{keyId}'].delete.parameters).toEqual([expect.objectContaining({ name: 'keyId', in: 'path', required: true })]);
    // Headers a route reads are declared on it and documented, like its body and query.
    for (const route of functions.flatMap((f) => f.http ?? []).filter((r) => r.request?.headers)) {
      const documented = doc.paths[route.path][route.method.toLowerCase()].parameters.filter((p: { in: string }) => p.in === 'header');
      const declared = Object.keys((route.request!.headers as unknown as { shape: object }).shape);
      expect(documented.map((p: { name: string }) => p.name).sort()).toEqual(declared.sort());
    }
    expect(doc.paths['/v1/agents/{agentId}/executions'].post.parameters).toContainEqual(
      expect.objectContaining({ name: 'idempotency-key', in: 'header', required: false }),
    );
    expect(doc.paths['/v1/agents/{agentId}'].patch.parameters).toContainEqual(expect.objectContaining({ name: 'if-match', in: 'header' }));
  });
});

describe('GET /health', () => {
  it('answers without a principal', async () => {
    const res = await call(health, { path: '/health' });
    expect(res).toMatchObject({ status: 200, body: { status: 'ok' } });
  });
});
