/**
 * The platform's REST routes, declared once: lib/routes.ts lists them in the manifest (CDK stack, local
 * runtime, OpenAPI) and each handler imports its own, so a bundle carries only its route and schemas.
 */
import type { HttpRoute } from '#lib/route-manifest.types.ts';
import * as c from './platform.contracts.ts';

const tags = ['platform'];

export const healthRoute = {
  method: 'GET', path: '/health', auth: 'none', summary: 'Liveness check', tags,
  responses: { 200: { description: 'Up', schema: c.healthResponse } },
} satisfies HttpRoute;

export const openApiRoute = {
  method: 'GET', path: '/openapi.json', auth: 'none', summary: 'OpenAPI 3.1 document', tags,
  responses: { 200: { description: 'The OpenAPI document of this API' } },
} satisfies HttpRoute;

export const getMeRoute = {
  method: 'GET', path: '/v1/me', summary: "The caller's principal", tags,
  responses: { 200: { description: 'Principal', schema: c.principal } },
} satisfies HttpRoute;

export const createApiKeyRoute = {
  method: 'POST', path: '/v1/api-keys', roles: ['admin'], summary: 'Create an API key (the secret is shown once)', tags,
  request: { body: c.createApiKeyBody },
  responses: { 201: { description: 'Created', schema: c.createdApiKey } },
} satisfies HttpRoute;

export const listApiKeysRoute = {
  method: 'GET', path: '/v1/api-keys', roles: ['admin'], summary: "List the tenant's API keys", tags,
  request: { query: c.listQuery },
  responses: { 200: { description: 'Page of keys', schema: c.apiKeyPage } },
} satisfies HttpRoute;

export const revokeApiKeyRoute = {
  method: 'DELETE', path: '/v1/api-keys/{keyId}', roles: ['admin'], summary: 'Revoke an API key', tags,
  request: { params: c.keyIdParams },
  responses: { 204: { description: 'Revoked (also when it already was)' } },
} satisfies HttpRoute;

export const createTenantRoute = {
  method: 'POST', path: '/v1/tenants', roles: ['admin'], summary: 'Create a tenant with its first admin key (platform admins)', tags,
  request: { body: c.createTenantBody },
  responses: { 201: { description: 'Created', schema: c.createdTenant } },
} satisfies HttpRoute;

export const listTenantsRoute = {
  method: 'GET', path: '/v1/tenants', roles: ['admin'], summary: 'List tenants (platform admins)', tags,
  request: { query: c.listQuery },
  responses: { 200: { description: 'Page of tenants', schema: c.tenantPage } },
} satisfies HttpRoute;
