/**
 * The shape of the manifest: plain data that every domain declares in `functions/<domain>/<domain>.manifest.ts`
 * and `functions/manifest.ts` gathers. The CDK app turns each function entry into a Lambda with its API routes
 * and least-privilege grants (a nested stack per domain); the local runtime mounts the same entries; the
 * OpenAPI document is generated from the same routes. Nothing here may import aws-cdk-lib.
 */
import type { ZodType } from 'zod';
import type { Role } from './principal.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The platform functions (authorizer, keys, tenants, health) live in the parent stack; each domain gets a nested one. */
export type DomainName = 'platform' | 'agents' | 'ide-bridge' | 'protocols' | 'realtime' | 'n8n-monitor';

/** DynamoDB tables the stack creates (functions/shared/resources.ts); each maps to an env var holding the table name. */
export type TableName = 'connections' | 'rateLimits';
/** Secrets the stack creates; each maps to an env var holding the secret ARN (locally: the value). */
export type SecretName = 'jwtSigningKey' | 'openaiApiKey' | 'anthropicApiKey' | 'credentialsKey';
/** SNS topics the stack creates (functions/shared/resources.ts `topics`); each maps to an env var holding the topic ARN. */
export type TopicName = 'n8nAlerts';
/** State machines are named by the domain that declares them; the names are unique across domains. */
export type StateMachineName = string;
/** Operator settings (functions/shared/resources.ts `settings`): deploy context, locally passed through from the environment. */
export type SettingName =
  | 'openaiBaseUrl'
  | 'anthropicBaseUrl'
  | 'httpToolAllowedHosts'
  | 'oidcIssuer'
  | 'oidcAudience'
  | 'oidcJwksUrl'
  | 'rateLimitPerMinute'
  | 'corsAllowedOrigins'
  | 'n8nPollMinutes'
  | 'n8nAllowPrivateNetworks'
  | 'mcpServerAllowedHosts'
  | 'ideDefaultModel'
  | 'tokenBatchMs'
  | 'tokenBatchChars'
  | 'dbPoolMax'
  | 'fanoutConcurrency'
  | 'n8nRequestTimeoutMs';
/** Lambda layers the stack builds (functions/shared/resources.ts `layers`); a function lists the ones it needs. */
export type LayerName = 'ideAnalyzers';

export interface HttpRoute {
  method: HttpMethod;
  /** API Gateway style path, e.g. `/v1/api-keys/{keyId}`. */
  path: string;
  /** `none` skips the authorizer (health, openapi). Default `required`. */
  auth?: 'none' | 'required';
  summary: string;
  /**
   * Schemas feed both request validation (in the handler) and the OpenAPI document. `headers` names only the
   * headers the route reads (lower-case keys, e.g. `idempotency-key`); other headers pass untouched.
   */
  request?: { body?: ZodType; query?: ZodType; params?: ZodType; headers?: ZodType };
  responses?: Record<number, { description: string; schema?: ZodType }>;
  /** Roles allowed to call this route; omitted = any authenticated principal. */
  roles?: ReadonlyArray<Role>;
  /**
   * A tighter per-tenant limit for this route alone, counted on top of the tenant-wide one
   * (RATE_LIMIT_PER_MINUTE). Only authenticated routes are counted.
   */
  rateLimit?: { perMinute: number };
  /**
   * A non-GET route that changes nothing (it computes an answer: analysis, completion, validation): no
   * audit entry. Every other non-GET authenticated route is audited by the HTTP stack (functions/shared/audit.ts).
   */
  readOnly?: boolean;
  tags?: string[];
}

export interface Access {
  /** Needs PostgreSQL (VPC placement, DB secret / proxy connect grant). */
  database?: boolean;
  tables?: Partial<Record<TableName, 'read' | 'readwrite'>>;
  bucket?: 'read' | 'readwrite';
  secrets?: readonly SecretName[];
  /** May start/describe/stop executions of these state machines. */
  stateMachines?: readonly StateMachineName[];
  /** May call the WebSocket @connections management API. */
  websocketManagement?: boolean;
  /** Operator settings this function reads. */
  settings?: readonly SettingName[];
  /** SNS topics it may publish to (none locally: the topic's env var is then unset). */
  topics?: readonly TopicName[];
  /** May put events on the stage's EventBridge bus (functions/shared/events.ts); functions/manifest.ts adds it for audited routes. */
  eventBus?: boolean;
}

/** One Lambda function: its code and what it may touch. */
export interface LambdaSpec {
  /** kebab-case, unique across domains; becomes part of the Lambda name and logical id. */
  name: string;
  /** Path from the repo root to the handler file. */
  entry: string;
  /** Exported handler name; default `handler`. */
  handler?: string;
  /** Defaults to the route's summary for REST endpoints. */
  description?: string;
  access: Access;
  timeoutSeconds?: number;
  memoryMb?: number;
  /** Layers attached in AWS (their packages are left out of the bundle); locally the same packages come from node_modules. */
  layers?: readonly LayerName[];
  /**
   * Run on a schedule: an EventBridge rule in AWS, the local runtime's scheduler locally, both sending
   * EventBridge's `Scheduled Event`. Every `everyMinutes`, or the operator setting `setting` when it is set.
   */
  schedule?: ScheduleSpec;
}

export interface ScheduleSpec {
  /** Default interval in minutes (whole minutes, at least 1: EventBridge's rate granularity). */
  everyMinutes: number;
  /** An operator setting that overrides the interval (minutes). */
  setting?: SettingName;
}

export interface FunctionSpec extends LambdaSpec {
  domain: DomainName;
  description: string;
  http?: HttpRoute[];
  /** WebSocket route keys: `$connect`, `$disconnect`, `$default`, or an `action` value. */
  websocket?: string[];
  /**
   * WebSocket functions whose actions change nothing stored (ping, presence, the connection's own
   * subscriptions): no audit entry. Every other action is audited (`isAuditedAction`); REST routes say
   * `readOnly` per route instead.
   */
  readOnly?: boolean;
}

/**
 * Whether the WebSocket action stack (functions/realtime/ws-action.ts) writes an audit entry for frames of this
 * route key: every client action (not `$connect`, `$disconnect`, `$default`) of a function not marked readOnly.
 */
export const isAuditedAction = (fn: Pick<FunctionSpec, 'readOnly'>, routeKey: string): boolean => !routeKey.startsWith('$') && fn.readOnly !== true;

/** Whether the HTTP stack writes an audit entry for calls of this route (functions/shared/audit.ts): every mutating authenticated route. */
export const isAudited = (route: Pick<HttpRoute, 'method' | 'auth' | 'readOnly'>): boolean =>
  route.auth !== 'none' && route.method !== 'GET' && route.readOnly !== true;

/** A REST route and the function that answers it, declared side by side: one entry per route. */
export type RestEndpoint = HttpRoute & { lambda: LambdaSpec };

export interface StateMachineSpec {
  name: StateMachineName;
  /** ASL JSON (JSONPath) from the repo root, shared by the stack (DefinitionBody.fromFile) and the local interpreter. */
  definition: string;
  /** Task state name -> function name. Task `Resource` is `${<PascalName>FunctionArn}` in the file. */
  tasks: Record<string, string>;
}

/**
 * A figure a domain's code emits (Powertools Metrics: the stage's namespace, the `service` dimension naming the
 * domain), shown in the domain's section of the stage dashboard and, with `alarm`, alarmed. The stack derives
 * the rest (per-function errors, throttles, duration, cold starts; API, state machine and table metrics).
 */
export interface DomainMetric {
  /** As the code emits it: `metrics.addMetric(name, ...)`. */
  name: string;
  title: string;
  statistic: 'Sum' | 'Maximum' | 'Average';
  /** Further dimensions the code adds (`tenantId`, `model`): the dashboard draws one line per value. */
  by?: readonly string[];
  /** Alarm when the statistic over 5 minutes reaches the threshold: CDK context `context`, else `default`. */
  alarm?: { context: string; default: number; description: string };
}

/** What one domain declares; `defineDomain` fills in the domain name on every function. */
export interface DomainManifest {
  domain: DomainName;
  /** Functions behind the REST or WebSocket API. */
  functions: FunctionSpec[];
  /** Functions with no route: state machine tasks, deploy triggers, operator tools. */
  systemFunctions: FunctionSpec[];
  stateMachines: StateMachineSpec[];
  /** Business figures for the dashboard and alarms (see DomainMetric). */
  metrics?: DomainMetric[];
}

/** The whole platform: the one authorizer and every domain (platform first: it goes into the parent stack). */
export interface PlatformManifest {
  authorizer: FunctionSpec;
  domains: DomainManifest[];
}

type DomainFunction = Omit<FunctionSpec, 'domain'>;

/** A REST endpoint's function: its one route, its description defaulting to the route's summary. */
export const restFunction = (endpoint: RestEndpoint): DomainFunction => {
  const { lambda, ...route } = endpoint;
  return { ...lambda, description: lambda.description ?? route.summary, http: [route] };
};

export const defineDomain = (manifest: {
  domain: DomainName;
  endpoints?: RestEndpoint[];
  functions?: DomainFunction[];
  systemFunctions?: DomainFunction[];
  stateMachines?: StateMachineSpec[];
  metrics?: DomainMetric[];
}): DomainManifest => {
  const withDomain = (fn: DomainFunction): FunctionSpec => ({ ...fn, domain: manifest.domain });
  return {
    domain: manifest.domain,
    functions: [...(manifest.endpoints ?? []).map(restFunction), ...(manifest.functions ?? [])].map(withDomain),
    systemFunctions: (manifest.systemFunctions ?? []).map(withDomain),
    stateMachines: manifest.stateMachines ?? [],
    ...(manifest.metrics ? { metrics: manifest.metrics } : {}),
  };
};

/** `echo-task` -> `EchoTask`: the key used in ASL `${<PascalName>FunctionArn}` substitutions. */
export const pascalName = (kebab: string): string =>
  kebab
    .split(/[^a-zA-Z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');

/** The manifest flattened, as the local runtime and the tests read it. */
export interface FlatManifest {
  authorizer: FunctionSpec;
  functions: FunctionSpec[];
  systemFunctions: FunctionSpec[];
  stateMachines: StateMachineSpec[];
}

export const flatten = (manifest: PlatformManifest): FlatManifest => ({
  authorizer: manifest.authorizer,
  functions: manifest.domains.flatMap((d) => d.functions),
  systemFunctions: manifest.domains.flatMap((d) => d.systemFunctions),
  stateMachines: manifest.domains.flatMap((d) => d.stateMachines),
});

export const allFunctionSpecs = (manifest: FlatManifest): FunctionSpec[] => [manifest.authorizer, ...manifest.functions, ...manifest.systemFunctions];
