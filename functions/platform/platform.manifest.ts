/**
 * The platform's functions (they live in the parent stack, beside the APIs): the authorizer, health and
 * OpenAPI, the caller's principal, API keys, tenants, and the system functions run by the deploy or by
 * operators. Each REST route is declared once with the function that answers it; handlers import their route.
 */
import { defineDomain, type FunctionSpec, type RestEndpoint } from '#shared/manifest.types.ts';
import * as audit from './audit-log.contracts.ts';
import * as c from './platform.contracts.ts';

const tags = ['platform'];
const entry = (file: string): string => `functions/platform/${file}.handler.ts`;

/** The one Lambda authorizer, used by the REST API and by WebSocket `$connect`. */
export const authorizer: FunctionSpec = {
  name: 'authorizer',
  domain: 'platform',
  entry: entry('authorizer'),
  description: 'Verifies a JWT (HS256 or OIDC) or an API key and returns the principal',
  access: { database: true, secrets: ['jwtSigningKey'], settings: ['oidcIssuer', 'oidcAudience', 'oidcJwksUrl'] },
};

export const healthRoute = {
  method: 'GET',
  path: '/health',
  auth: 'none',
  summary: 'Liveness check',
  tags,
  responses: { 200: { description: 'Up', schema: c.healthResponse } },
  lambda: { name: 'health', entry: entry('health'), description: 'Liveness', access: {} },
} satisfies RestEndpoint;

export const openApiRoute = {
  method: 'GET',
  path: '/openapi.json',
  auth: 'none',
  summary: 'OpenAPI 3.1 document',
  tags,
  responses: { 200: { description: 'The OpenAPI document of this API' } },
  lambda: { name: 'get-openapi', entry: entry('get-openapi'), description: 'The OpenAPI 3.1 document, generated from the manifest', access: {} },
} satisfies RestEndpoint;

export const getMeRoute = {
  method: 'GET',
  path: '/v1/me',
  summary: "The caller's principal",
  tags,
  responses: { 200: { description: 'Principal', schema: c.principal } },
  lambda: { name: 'get-me', entry: entry('get-me'), access: {} },
} satisfies RestEndpoint;

export const createApiKeyRoute = {
  method: 'POST',
  path: '/v1/api-keys',
  roles: ['admin'],
  summary: 'Create an API key (the secret is shown once)',
  tags,
  request: { body: c.createApiKeyBody },
  responses: { 201: { description: 'Created', schema: c.createdApiKey } },
  lambda: { name: 'create-api-key', entry: entry('create-api-key'), access: { database: true } },
} satisfies RestEndpoint;

export const listApiKeysRoute = {
  method: 'GET',
  path: '/v1/api-keys',
  roles: ['admin'],
  summary: "List the tenant's API keys",
  tags,
  request: { query: c.listQuery },
  responses: { 200: { description: 'Page of keys', schema: c.apiKeyPage } },
  lambda: { name: 'list-api-keys', entry: entry('list-api-keys'), access: { database: true } },
} satisfies RestEndpoint;

export const revokeApiKeyRoute = {
  method: 'DELETE',
  path: '/v1/api-keys/{keyId}',
  roles: ['admin'],
  summary: 'Revoke an API key',
  tags,
  request: { params: c.keyIdParams },
  responses: { 204: { description: 'Revoked (also when it already was)' } },
  lambda: {
    name: 'revoke-api-key',
    entry: entry('revoke-api-key'),
    // Ends the key's live WebSocket connections: finds them in the connections table, closes them via @connections.
    access: { database: true, tables: { connections: 'readwrite' }, websocketManagement: true },
  },
} satisfies RestEndpoint;

export const createTenantRoute = {
  method: 'POST',
  path: '/v1/tenants',
  roles: ['admin'],
  summary: 'Create a tenant with its first admin key (platform admins)',
  tags,
  request: { body: c.createTenantBody },
  responses: { 201: { description: 'Created', schema: c.createdTenant } },
  lambda: { name: 'create-tenant', entry: entry('create-tenant'), access: { database: true } },
} satisfies RestEndpoint;

export const listTenantsRoute = {
  method: 'GET',
  path: '/v1/tenants',
  roles: ['admin'],
  summary: 'List tenants (platform admins)',
  tags,
  request: { query: c.listQuery },
  responses: { 200: { description: 'Page of tenants', schema: c.tenantPage } },
  lambda: { name: 'list-tenants', entry: entry('list-tenants'), access: { database: true } },
} satisfies RestEndpoint;

export const listAuditEntriesRoute = {
  method: 'GET',
  path: '/v1/audit',
  roles: ['admin'],
  summary: "The audit trail: every mutating call, newest first (the tenant's; platform admins: every tenant's)",
  tags,
  request: { query: audit.auditQuery },
  responses: {
    200: { description: 'Page of audit entries', schema: audit.auditPage },
    403: { description: 'Not an admin, or `tenant` names another tenant and the caller is not a platform admin' },
  },
  lambda: { name: 'list-audit-entries', entry: entry('list-audit-entries'), access: { database: true } },
} satisfies RestEndpoint;

export const platformManifest = defineDomain({
  domain: 'platform',
  endpoints: [
    healthRoute,
    openApiRoute,
    getMeRoute,
    createApiKeyRoute,
    listApiKeysRoute,
    revokeApiKeyRoute,
    createTenantRoute,
    listTenantsRoute,
    listAuditEntriesRoute,
  ],
  systemFunctions: [
    {
      name: 'migrate',
      entry: entry('migrate'),
      description: 'Runs database migrations (CDK trigger on every deploy)',
      access: { database: true },
      timeoutSeconds: 300,
    },
    {
      name: 'mint-admin-key',
      entry: entry('mint-admin-key'),
      description: 'Mints an admin API key for the default tenant (invoked by `npm run mint-admin-key`)',
      access: { database: true },
    },
    {
      name: 'echo-task',
      entry: entry('echo-task'),
      description: 'Task of the echo state machine, a smoke test of the orchestration path',
      access: {},
    },
  ],
  stateMachines: [{ name: 'echo', definition: 'lib/state-machines/echo.asl.json', tasks: { Echo: 'echo-task' } }],
  // Emitted by the authorizer (authorizer.handler.ts).
  metrics: [
    { name: 'AuthorizerAllowed', title: 'Authorizer: allowed', statistic: 'Sum' },
    {
      name: 'AuthorizerDenied',
      title: 'Authorizer: denied',
      statistic: 'Sum',
      alarm: {
        context: 'alarmAuthorizerDenials',
        default: 100,
        description: 'Many requests with bad, expired or revoked credentials: a leaked or revoked key still in use, or credential stuffing',
      },
    },
    { name: 'AuthorizerFailed', title: 'Authorizer: failed (its own errors)', statistic: 'Sum' },
  ],
});
