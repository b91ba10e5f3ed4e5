/**
 * With an OIDC issuer configured, the MCP endpoint advertises where to get a token as MCP's authorization
 * spec says: 401 answers carry `WWW-Authenticate: Bearer resource_metadata="…"`, and that URL serves the
 * RFC 9728 protected-resource metadata naming the issuer. Checked with the client SDK's own discovery.
 */
import { discoverOAuthProtectedResourceMetadata, extractWWWAuthenticateParams } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

const ISSUER = 'https://login.example.com/realms/mls';

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startTestRuntime({ env: { OIDC_ISSUER: ISSUER, OIDC_AUDIENCE: 'mls' } });
});
afterAll(() => rt?.stop());

describe('MCP authorization discovery', () => {
  it('answers 401 with the challenge that names the resource metadata', async () => {
    const res = await fetch(`${rt.restUrl}/v1/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(res.status).toBe(401);
    const { resourceMetadataUrl } = extractWWWAuthenticateParams(res);
    expect(resourceMetadataUrl?.toString()).toBe(`${rt.restUrl}/.well-known/oauth-protected-resource/v1/mcp`);
  });

  it('serves RFC 9728 metadata naming the issuer, found by the client SDK', async () => {
    const metadata = await discoverOAuthProtectedResourceMetadata(new URL(`${rt.restUrl}/v1/mcp`));
    expect(metadata).toMatchObject({
      resource: `${rt.restUrl}/v1/mcp`,
      authorization_servers: [ISSUER],
      bearer_methods_supported: ['header'],
    });
  });

  it('still takes API keys', async () => {
    const res = await fetch(`${rt.restUrl}/v1/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-api-key': rt.apiKey },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(res.status).toBe(200);
  });
});
