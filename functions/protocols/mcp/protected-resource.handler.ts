/**
 * `GET /.well-known/oauth-protected-resource/v1/mcp`: the MCP endpoint's OAuth protected-resource metadata
 * (RFC 9728), so MCP clients discover the OIDC issuer to get a token from. Served only when an issuer is
 * configured (`oidcIssuer`); without one the endpoint takes API keys and platform JWTs only, and this is 404.
 */
import type { OAuthProtectedResourceMetadata } from '@modelcontextprotocol/server';
import { NotFoundError } from '#shared/errors.ts';
import { httpHandler } from '#shared/http.ts';
import { settings } from '#shared/resources.ts';
import { protectedResourceRoute } from '../protocols.manifest.ts';
import { publicBaseUrl } from './public-url.ts';

export const handler = httpHandler(protectedResourceRoute, ({ event }) => {
  const issuer = process.env[settings.oidcIssuer.env];
  if (!issuer) throw new NotFoundError('No OAuth authorization server is configured: use an API key (x-api-key) or a platform JWT');
  const metadata: OAuthProtectedResourceMetadata = {
    resource: `${publicBaseUrl(event.headers, event.requestContext?.stage)}/v1/mcp`,
    authorization_servers: [issuer],
    bearer_methods_supported: ['header'],
    resource_name: 'Multimodal LLM Stack MCP endpoint',
  };
  return { status: 200, body: metadata, headers: { 'Cache-Control': 'max-age=300' } };
});
