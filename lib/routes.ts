/**
 * The route manifest: every Lambda function, its REST routes / WebSocket route keys and what it may
 * touch. Read by the CDK stack (lib/) and by the embedded local runtime (local/). A new route is one entry.
 * Each domain's entries sit in lib/manifest/<domain>.manifest.ts and are gathered here.
 *
 * The HttpRoute objects themselves live in each domain's `*.routes.ts` (with their zod schemas) so that a
 * handler imports only its own route and its bundle stays small; this file only references them.
 */
import type { FunctionSpec, StateMachineSpec } from './route-manifest.types.ts';
import * as platform from '#functions/platform/platform.routes.ts';
import * as agents from './manifest/agents.manifest.ts';
import * as executions from './manifest/executions.manifest.ts';
import * as realtime from './manifest/realtime.manifest.ts';

/** The one Lambda authorizer, used by the REST API and by WebSocket `$connect`. */
export const authorizer: FunctionSpec = {
  name: 'authorizer',
  domain: 'platform',
  entry: 'functions/platform/authorizer.handler.ts',
  description: 'Verifies a JWT (HS256 or OIDC) or an API key and returns the principal',
  access: { database: true, secrets: ['jwtSigningKey'], settings: ['oidcIssuer', 'oidcAudience', 'oidcJwksUrl'] },
};

/**
 * Every authenticated REST route counts its request in the rateLimits table (functions/shared/http.ts), so
 * its function gets that table here, once, rather than in each entry: a new route needs nothing extra, and
 * the stack's grants (derived from `access`) stay exactly what the manifest says.
 */
const withRateLimits = (spec: FunctionSpec): FunctionSpec =>
  spec.http?.some((route) => route.auth !== 'none')
    ? {
        ...spec,
        access: {
          ...spec.access,
          tables: { ...spec.access.tables, rateLimits: 'readwrite' },
          settings: [...(spec.access.settings ?? []), 'rateLimitPerMinute'],
        },
      }
    : spec;

const restFunctions: FunctionSpec[] = [
  {
    name: 'health',
    domain: 'platform',
    entry: 'functions/platform/health.handler.ts',
    description: 'Liveness',
    http: [platform.healthRoute],
    access: {},
  },
  {
    name: 'get-openapi',
    domain: 'platform',
    entry: 'functions/platform/get-openapi.handler.ts',
    description: 'The OpenAPI 3.1 document, generated from this manifest',
    http: [platform.openApiRoute],
    access: {},
  },
  {
    name: 'get-me',
    domain: 'platform',
    entry: 'functions/platform/get-me.handler.ts',
    description: "The caller's principal",
    http: [platform.getMeRoute],
    access: {},
  },
  {
    name: 'create-api-key',
    domain: 'platform',
    entry: 'functions/platform/create-api-key.handler.ts',
    description: "Creates an API key in the caller's tenant",
    http: [platform.createApiKeyRoute],
    access: { database: true },
  },
  {
    name: 'list-api-keys',
    domain: 'platform',
    entry: 'functions/platform/list-api-keys.handler.ts',
    description: "Lists the caller's tenant's API keys",
    http: [platform.listApiKeysRoute],
    access: { database: true },
  },
  {
    name: 'revoke-api-key',
    domain: 'platform',
    entry: 'functions/platform/revoke-api-key.handler.ts',
    description: 'Revokes an API key',
    http: [platform.revokeApiKeyRoute],
    // Ends the key's live WebSocket connections: finds them in the connections table, closes them via @connections.
    access: { database: true, tables: { connections: 'readwrite' }, websocketManagement: true },
  },
  {
    name: 'create-tenant',
    domain: 'platform',
    entry: 'functions/platform/create-tenant.handler.ts',
    description: 'Creates a tenant and its first admin key (platform admins only)',
    http: [platform.createTenantRoute],
    access: { database: true },
  },
  {
    name: 'list-tenants',
    domain: 'platform',
    entry: 'functions/platform/list-tenants.handler.ts',
    description: 'Lists tenants (platform admins only)',
    http: [platform.listTenantsRoute],
    access: { database: true },
  },
  ...realtime.functions,
  ...agents.functions,
  ...executions.functions,
];

export const functions: FunctionSpec[] = restFunctions.map(withRateLimits);

/** Functions with no route: run by the stack itself or by operators. */
export const systemFunctions: FunctionSpec[] = [
  {
    name: 'migrate',
    domain: 'platform',
    entry: 'functions/platform/migrate.handler.ts',
    description: 'Runs database migrations (CDK trigger on every deploy)',
    access: { database: true },
    timeoutSeconds: 300,
  },
  {
    name: 'mint-admin-key',
    domain: 'platform',
    entry: 'functions/platform/mint-admin-key.handler.ts',
    description: "Mints an admin API key for the default tenant (invoked by `npm run mint-admin-key`)",
    access: { database: true },
  },
  {
    name: 'echo-task',
    domain: 'platform',
    entry: 'functions/platform/echo-task.handler.ts',
    description: 'Task of the echo state machine, a smoke test of the orchestration path',
    access: {},
  },
  ...executions.systemFunctions,
];

export const stateMachines: StateMachineSpec[] = [
  { name: 'echo', definition: 'lib/state-machines/echo.asl.json', tasks: { Echo: 'echo-task' } },
  ...executions.stateMachines,
];
