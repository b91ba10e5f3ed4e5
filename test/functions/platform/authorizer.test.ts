/** The REQUEST authorizer with real JWTs (jose), real API keys in PostgreSQL, and a real JWKS endpoint for OIDC. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const JWT_SECRET = vi.hoisted(() => {
  const secret = 'test-secret-0123456789abcdef0123456789abcdef';
  process.env.JWT_SECRET = secret;
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  return secret;
});

import { handler as authorizer } from '#functions/platform/authorizer.handler.ts';
import { createAuthenticator } from '#functions/platform/authenticator.ts';
import { handler as createApiKey } from '#functions/platform/create-api-key.handler.ts';
import { handler as mintAdminKey } from '#functions/platform/mint-admin-key.handler.ts';
import { handler as revokeApiKey } from '#functions/platform/revoke-api-key.handler.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { admin, call, lambdaContext } from '../helpers/events.ts';

const METHOD_ARN = 'arn:aws:execute-api:us-east-1:000000000000:api123/local/GET/v1/me';

const restEvent = (headers: Record<string, string>): APIGatewayRequestAuthorizerEvent =>
  ({
    type: 'REQUEST',
    methodArn: METHOD_ARN,
    resource: '/v1/me',
    path: '/v1/me',
    httpMethod: 'GET',
    headers,
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: { requestId: 'req-1', stage: 'local' },
  }) as unknown as APIGatewayRequestAuthorizerEvent;

const wsEvent = (token?: string): APIGatewayRequestAuthorizerEvent =>
  ({
    type: 'REQUEST',
    methodArn: 'arn:aws:execute-api:us-east-1:000000000000:ws123/local/$connect',
    headers: {},
    queryStringParameters: token === undefined ? null : { token },
    requestContext: { requestId: 'req-ws', routeKey: '$connect', eventType: 'CONNECT', connectionId: 'c1', stage: 'local' },
  }) as unknown as APIGatewayRequestAuthorizerEvent;

const authorize = (event: APIGatewayRequestAuthorizerEvent) => authorizer(event, lambdaContext()) as Promise<APIGatewayAuthorizerResult>;

const jwt = (claims: Record<string, unknown>, { secret = JWT_SECRET, exp = '5m' as string | number } = {}) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime(exp).sign(new TextEncoder().encode(secret));

let db: TestDatabase;
let adminKey: string;
beforeAll(async () => {
  db = await createTestDatabase();
  adminKey = (await mintAdminKey({ name: 'authz' }, lambdaContext())).apiKey;
});
afterAll(async () => {
  await db?.drop();
});

describe('authorizer', () => {
  it('allows a valid HS256 JWT with the principal as primitive context, for the whole API', async () => {
    const token = await jwt({ sub: 'user-1', tenant_id: 'ten_a', roles: ['developer', 'viewer', 'root'] });
    const result = await authorize(restEvent({ Authorization: `Bearer ${token}` }));
    expect(result.principalId).toBe('user-1');
    expect(result.context).toEqual({ userId: 'user-1', tenantId: 'ten_a', roles: 'developer,viewer' });
    expect(result.policyDocument.Statement).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 'arn:aws:execute-api:us-east-1:000000000000:api123/local/*' },
    ]);
  });

  it.each([
    ['no credentials', {}],
    ['a forged JWT', { authorization: 'Bearer FORGED' }],
    ['garbage bearer', { authorization: 'Bearer not.a.jwt' }],
    ['a basic auth header', { authorization: 'Basic dXNlcjpwYXNz' }],
    ['an unknown API key', { 'x-api-key': `mls_${'A'.repeat(43)}` }],
    ['a malformed API key', { 'x-api-key': 'mls_short' }],
  ])('refuses %s with Unauthorized', async (_label, headers) => {
    await expect(authorize(restEvent(headers as Record<string, string>))).rejects.toThrow(/^Unauthorized$/);
  });

  it('refuses JWTs signed with another key, expired, without exp, or with alg none', async () => {
    const claims = { sub: 'u', tenant_id: 'default', roles: ['admin'] };
    const forged = await jwt(claims, { secret: 'another-secret-0123456789abcdef0123456789' });
    const expired = await jwt(claims, { exp: Math.floor(Date.now() / 1000) - 60 });
    const noExp = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(JWT_SECRET));
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ ...claims, exp: Math.floor(Date.now() / 1000) + 300 })).toString('base64url');
    const none = `${header}.${payload}.`;
    for (const token of [forged, expired, noExp, none]) {
      await expect(authorize(restEvent({ Authorization: `Bearer ${token}` }))).rejects.toThrow('Unauthorized');
    }
  });

  it('refuses a JWT without tenant_id', async () => {
    const token = await jwt({ sub: 'u', roles: ['admin'] });
    await expect(authorize(restEvent({ Authorization: `Bearer ${token}` }))).rejects.toThrow('Unauthorized');
  });

  it('accepts an API key in x-api-key or as a bearer token, and records its use', async () => {
    const byHeader = await authorize(restEvent({ 'X-Api-Key': adminKey }));
    expect(byHeader.context).toMatchObject({ tenantId: 'default', roles: 'admin' });
    expect(byHeader.principalId).toMatch(/^apikey:key_/);
    const byBearer = await authorize(restEvent({ authorization: `Bearer ${adminKey}` }));
    expect(byBearer.principalId).toBe(byHeader.principalId);
    const keyId = byHeader.principalId.slice('apikey:'.length);
    const [row] = await db.query<{ last_used_at: Date | null }>('SELECT last_used_at FROM api_keys WHERE id = $1', [keyId]);
    expect(row!.last_used_at).toBeInstanceOf(Date);
  });

  it('records a busy key’s use at most once a minute', async () => {
    const keyId = (await authorize(restEvent({ 'X-Api-Key': adminKey }))).principalId.slice('apikey:'.length);
    const lastUsed = async () => (await db.query<{ t: Date }>('SELECT last_used_at AS t FROM api_keys WHERE id = $1', [keyId]))[0]!.t.getTime();
    await db.query(`UPDATE api_keys SET last_used_at = now() - interval '30 seconds' WHERE id = $1`, [keyId]);
    const recent = await lastUsed();
    await authorize(restEvent({ 'X-Api-Key': adminKey }));
    expect(await lastUsed()).toBe(recent);
    await db.query(`UPDATE api_keys SET last_used_at = now() - interval '2 minutes' WHERE id = $1`, [keyId]);
    const old = await lastUsed();
    await authorize(restEvent({ 'X-Api-Key': adminKey }));
    expect(await lastUsed()).toBeGreaterThan(old + 60_000);
  });

  it('accepts ?token= on WebSocket $connect and refuses a connect without one', async () => {
    const result = await authorize(wsEvent(adminKey));
    expect(result.context).toMatchObject({ tenantId: 'default', roles: 'admin' });
    expect(result.policyDocument.Statement).toEqual([
      expect.objectContaining({ Resource: 'arn:aws:execute-api:us-east-1:000000000000:ws123/local/*' }),
    ]);
    await expect(authorize(wsEvent())).rejects.toThrow('Unauthorized');
  });

  it('stops accepting a key as soon as it is revoked, even right after using it', async () => {
    const created = await call(createApiKey, { method: 'POST', body: { name: 'short-lived' }, principal: admin() });
    const key = created.body.apiKey as string;
    await authorize(restEvent({ 'x-api-key': key }));
    const revoked = await call(revokeApiKey, { method: 'DELETE', params: { keyId: created.body.keyId }, principal: admin() });
    expect(revoked.status).toBe(204);
    await expect(authorize(restEvent({ 'x-api-key': key }))).rejects.toThrow('Unauthorized');
  });
});

describe('authenticator with an OIDC issuer', () => {
  let server: Server;
  let issuer: string;
  let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    server = createServer((req, res) => {
      if (req.url === '/.well-known/jwks.json') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
      } else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const oidcToken = (claims: Record<string, unknown>, aud = 'mls') =>
    new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(issuer).setAudience(aud).setExpirationTime('5m').sign(privateKey);

  it('verifies tokens of that issuer against its JWKS, with the audience, and still accepts platform JWTs', async () => {
    const authenticate = createAuthenticator({
      jwtSecret: async () => JWT_SECRET,
      findApiKey: async () => undefined,
      oidc: { issuer, audience: 'mls' },
    });
    expect(await authenticate(await oidcToken({ sub: 'alice', tenant_id: 'ten_a', roles: ['viewer'] }))).toEqual({
      userId: 'alice',
      tenantId: 'ten_a',
      roles: ['viewer'],
    });
    await expect(authenticate(await oidcToken({ sub: 'alice', tenant_id: 'ten_a' }, 'someone-else'))).rejects.toThrow();
    expect((await authenticate(await jwt({ sub: 'bob', tenant_id: 'default', roles: ['admin'] }))).userId).toBe('bob');
  });
});
