/** What reaches the logs: request ids yes, credentials never (even at DEBUG, even on failures). */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.JWT_SECRET = 'logging-test-secret-0123456789abcdef0123';
});

import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { handler as authorizer } from '#functions/platform/authorizer.handler.ts';
import { handler as createApiKey } from '#functions/platform/create-api-key.handler.ts';
import { handler as mintAdminKey } from '#functions/platform/mint-admin-key.handler.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { admin, call, lambdaContext, restEvent } from '../helpers/events.ts';

let db: TestDatabase;
let output = '';
beforeAll(async () => {
  db = await createTestDatabase();
  const capture = (chunk: unknown): boolean => {
    output += String(chunk);
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture as typeof process.stdout.write);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture as typeof process.stderr.write);
});
afterAll(async () => {
  vi.restoreAllMocks();
  await db?.drop();
});

describe('logs', () => {
  it('carry the request id and never an API key, a JWT or a minted secret', async () => {
    const minted = await mintAdminKey({ name: 'logged' }, lambdaContext());
    const created = await call(createApiKey, {
      method: 'POST',
      body: { name: 'secret-holder' },
      principal: admin(),
      headers: { 'x-api-key': minted.apiKey },
    });
    expect(created.status).toBe(201);

    const event = restEvent({ headers: { 'x-api-key': created.body.apiKey, authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.forged' } });
    const authorizerEvent = {
      ...event,
      type: 'REQUEST',
      methodArn: 'arn:aws:execute-api:us-east-1:0:api/local/GET/v1/me',
    } as unknown as APIGatewayRequestAuthorizerEvent;
    await authorizer(authorizerEvent, lambdaContext());
    const forgedEvent = {
      ...authorizerEvent,
      headers: { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.forged' },
    } as unknown as APIGatewayRequestAuthorizerEvent;
    await expect(authorizer(forgedEvent, lambdaContext())).rejects.toThrow('Unauthorized');

    expect(output).toContain(event.requestContext.requestId);
    expect(output).toContain('Denied');
    for (const secret of [minted.apiKey, created.body.apiKey, 'eyJzdWIiOiJ4In0', process.env.JWT_SECRET!]) {
      expect(output).not.toContain(secret);
    }
  });
});
