/**
 * Names and shapes of the shared resources: the contract between the functions (which read these environment
 * variables), the CDK app (which creates the resources and sets the variables) and the local runtime (which
 * creates the same tables and sets the same variables). Plain data; no AWS SDK or CDK here.
 */
import type { LayerName, SecretName, SettingName, StateMachineName, TableName, TopicName } from './manifest.types.ts';

export interface TableShape {
  partitionKey: string;
  sortKey?: string;
  /** TTL attribute (epoch seconds). */
  ttl: string;
  indexes?: Array<{ name: string; partitionKey: string; sortKey?: string }>;
}

export const tables: Record<TableName, TableShape & { env: string }> = {
  connections: {
    env: 'CONNECTIONS_TABLE',
    partitionKey: 'pk',
    sortKey: 'sk',
    ttl: 'expiresAt',
    indexes: [{ name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' }],
  },
  rateLimits: { env: 'RATE_LIMITS_TABLE', partitionKey: 'pk', ttl: 'expiresAt' },
};

/**
 * In AWS a function gets `<env>_ARN` (the Secrets Manager ARN) and reads the value at cold start; locally
 * the runtime sets `<env>` to the value itself. `functions/shared/secrets.ts` reads either.
 */
export const secrets: Record<SecretName, { env: string; description: string }> = {
  jwtSigningKey: { env: 'JWT_SECRET', description: 'HS256 key that signs and verifies platform JWTs' },
  openaiApiKey: { env: 'OPENAI_API_KEY', description: 'OpenAI (or OpenAI-compatible) API key' },
  anthropicApiKey: { env: 'ANTHROPIC_API_KEY', description: 'Anthropic API key' },
  credentialsKey: {
    env: 'CREDENTIALS_KEY',
    description: 'Key that encrypts third-party credentials stored in the database (n8n API keys, webhook signing secrets)',
  },
};

/** SNS topics: in AWS a function gets `<env>` = the topic ARN; locally there is none and the variable is unset. */
export const topics: Record<TopicName, { env: string; description: string }> = {
  n8nAlerts: { env: 'N8N_ALERTS_TOPIC_ARN', description: 'n8n monitor alert firings and resolutions (subscribe email, chat, queues)' },
};

export const stateMachineEnv = (name: StateMachineName): string => `${name.toUpperCase().replace(/-/g, '_')}_STATE_MACHINE_ARN`;

export const env = {
  stage: 'STAGE',
  bucket: 'BUCKET_NAME',
  /** https://{api}.execute-api.{region}.amazonaws.com/{stage}, the @connections management endpoint. */
  websocketCallbackUrl: 'WEBSOCKET_CALLBACK_URL',
  /** Local / LocalStack: a full postgres:// URL. In AWS: unset, and DB_SECRET_ARN + DB_HOST are used. */
  databaseUrl: 'DATABASE_URL',
  dbSecretArn: 'DB_SECRET_ARN',
  dbHost: 'DB_HOST',
  /** Set by the local runtime and the LocalStack target: emulators want path-style S3 URLs. */
  s3ForcePathStyle: 'S3_FORCE_PATH_STYLE',
  /** The stage's EventBridge bus (audit entries and the domains' own events); unset: events are not published. */
  eventBusName: 'EVENT_BUS_NAME',
  /**
   * The stack's own n8n (lib/n8n-stack.ts), given to setup-stack-n8n only: its public URL, the load balancer's
   * DNS name (reached directly, so public DNS need not point there yet), and its owner and API key secrets
   * (ARNs; the manifest's `secrets` names only the stage's fixed secrets, so lib/n8n-stack.ts grants these).
   */
  n8nStackUrl: 'N8N_STACK_URL',
  n8nStackEndpoint: 'N8N_STACK_ENDPOINT',
  n8nOwnerSecretArn: 'N8N_OWNER_SECRET_ARN',
  n8nApiKeySecretArn: 'N8N_API_KEY_SECRET_ARN',
} as const;

/**
 * The CloudWatch namespace of the metrics the functions emit (Powertools, POWERTOOLS_METRICS_NAMESPACE): one per
 * stage, so two stages in one account (blue/green, docs/operations.md) never add up on each other's dashboards.
 */
export const metricsNamespace = (stage: string): string => `MultimodalLlmStack/${stage}`;

/** The default tenant owns the first admin key; its admins are platform admins (may create tenants). */
export const DEFAULT_TENANT_ID = 'default';

/**
 * OAuth protected-resource metadata (RFC 9728) of the MCP endpoint, served by the protocols domain when an
 * OIDC issuer is configured. The gateway's 401 answers then carry `WWW-Authenticate: Bearer
 * resource_metadata="<API base URL><metadataPath>"`, as MCP's authorization spec wants (the stack's gateway
 * response and the local gateway alike).
 */
export const oauthProtectedResource = {
  metadataPath: '/.well-known/oauth-protected-resource/v1/mcp',
  challenge: (apiBaseUrl: string): string => `Bearer resource_metadata="${apiBaseUrl}/.well-known/oauth-protected-resource/v1/mcp"`,
} as const;

/** CORS, the same for the handlers' responses, the stack's preflight and the local gateway's. */
export const cors = {
  allowHeaders: ['Authorization', 'Content-Type', 'X-Api-Key', 'Idempotency-Key', 'If-Match'],
  // Readable by browser scripts: optimistic concurrency (ETag) and back-off (Retry-After).
  exposeHeaders: ['ETag', 'Retry-After', 'Location', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'],
} as const;

/**
 * Operator settings: plain (non-secret) values a function reads from its environment. Deployed, each comes
 * from the CDK context key of the same name (`-c openaiBaseUrl=...`) and reaches only the functions whose
 * manifest `access.settings` name it (functions/manifest.ts adds the ones every REST function reads); locally
 * the runtime passes the variable through from its own environment.
 */
export const settings: Record<SettingName, { env: string; description: string }> = {
  openaiBaseUrl: { env: 'OPENAI_BASE_URL', description: 'OpenAI-compatible server for the openai provider (default: the public API)' },
  anthropicBaseUrl: { env: 'ANTHROPIC_BASE_URL', description: 'Anthropic API base URL (default: the public API)' },
  httpToolAllowedHosts: {
    env: 'HTTP_TOOL_ALLOWED_HOSTS',
    description: 'Hosts the http_request tool may call (comma-separated; empty: the tool is off)',
  },
  oidcIssuer: { env: 'OIDC_ISSUER', description: 'Also accept JWTs from this OIDC issuer (verified against its JWKS)' },
  oidcAudience: { env: 'OIDC_AUDIENCE', description: "Required `aud` of the OIDC issuer's tokens" },
  oidcJwksUrl: { env: 'OIDC_JWKS_URL', description: "The issuer's JWKS, when not at <issuer>/.well-known/jwks.json (Okta, Entra, Google...)" },
  rateLimitPerMinute: { env: 'RATE_LIMIT_PER_MINUTE', description: 'Requests per minute per tenant on authenticated REST routes (default 1200)' },
  corsAllowedOrigins: { env: 'CORS_ALLOWED_ORIGINS', description: 'Comma-separated origins allowed by CORS (default *)' },
  n8nPollMinutes: { env: 'N8N_POLL_MINUTES', description: 'How often the n8n monitor polls every registered instance, in minutes (default 5)' },
  n8nAllowPrivateNetworks: {
    env: 'N8N_ALLOW_PRIVATE_NETWORKS',
    description: 'n8n instances and alert webhooks may be on private or loopback addresses (default false; npm start: true)',
  },
  mcpServerAllowedHosts: {
    env: 'MCP_SERVER_ALLOWED_HOSTS',
    description: 'Hosts remote MCP servers may be on (comma-separated, `*.example.com` allowed); empty: any public host',
  },
  ideDefaultModel: {
    env: 'IDE_DEFAULT_MODEL',
    description:
      'The model of the IDE routes when a request names none, as provider:model (default: openai:gpt-4o-mini, else anthropic:claude-haiku-4-5, whichever is configured)',
  },
  tokenBatchMs: {
    env: 'TOKEN_BATCH_MS',
    description: 'Streamed model text is published at most this often per model call, after its first token (default 40)',
  },
  tokenBatchChars: { env: 'TOKEN_BATCH_CHARS', description: 'A streamed text batch is published early once this many characters wait (default 200)' },
  dbPoolMax: {
    env: 'DB_POOL_MAX',
    description: 'PostgreSQL connections each function container may hold (default 3); every database function reads it',
  },
  fanoutConcurrency: { env: 'FANOUT_CONCURRENCY', description: 'WebSocket connections posted to at once by a fan-out (default 50)' },
  n8nRequestTimeoutMs: { env: 'N8N_REQUEST_TIMEOUT_MS', description: 'How long one call to an n8n API may take, in ms (default 10000)' },
};

/**
 * Lambda layers: npm packages (with their dependencies) the stack copies from node_modules into
 * `nodejs/node_modules` of a layer, for the functions whose manifest entry lists the layer; those functions
 * load them at run time instead of bundling them. Locally they are simply in node_modules.
 */
export const layers: Record<LayerName, { description: string; packages: readonly string[] }> = {
  ideAnalyzers: {
    description: 'Code analyzers of the IDE bridge: TypeScript 6, pyright, tree-sitter with its grammars, the JSON/YAML/HTML parsers',
    packages: [
      'typescript6',
      '@typescript/vfs',
      'pyright',
      'web-tree-sitter',
      '@vscode/tree-sitter-wasm',
      'jsonc-parser',
      'yaml',
      'parse5',
      'angular-html-parser',
    ],
  },
};
