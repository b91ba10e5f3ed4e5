/**
 * The shape of the route manifest (lib/routes.ts). Plain data: the CDK stack turns each entry into a
 * NodejsFunction with its API routes and least-privilege grants; the local runtime mounts the same
 * entries on its HTTP and WebSocket servers. Nothing here may import aws-cdk-lib.
 */
import type { ZodType } from 'zod';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** DynamoDB tables the stack creates; each maps to an env var holding the table name. */
export type TableName = 'connections' | 'idempotency' | 'rateLimits';
/** Secrets the stack creates; each maps to an env var holding the secret ARN (locally: the value). */
export type SecretName = 'jwtSigningKey' | 'openaiApiKey' | 'anthropicApiKey';
export type StateMachineName = 'echo' | 'agent';
/** Operator settings (lib/resources.ts `settings`): deploy context locally passed through from the environment. */
export type SettingName =
  | 'openaiBaseUrl'
  | 'anthropicBaseUrl'
  | 'httpToolAllowedHosts'
  | 'oidcIssuer'
  | 'oidcAudience'
  | 'oidcJwksUrl'
  | 'rateLimitPerMinute';

export interface HttpRoute {
  method: HttpMethod;
  /** API Gateway style path, e.g. `/v1/api-keys/{keyId}`. */
  path: string;
  /** `none` skips the authorizer (health, openapi). Default `required`. */
  auth?: 'none' | 'required';
  summary: string;
  /** Schemas feed both request validation (in the handler) and the OpenAPI document. */
  request?: { body?: ZodType; query?: ZodType; params?: ZodType };
  responses?: Record<number, { description: string; schema?: ZodType }>;
  /** Roles allowed to call this route; omitted = any authenticated principal. */
  roles?: ReadonlyArray<'admin' | 'developer' | 'viewer'>;
  /**
   * A tighter per-tenant limit for this route alone, counted on top of the tenant-wide one
   * (RATE_LIMIT_PER_MINUTE). Only authenticated routes are counted.
   */
  rateLimit?: { perMinute: number };
  tags?: string[];
}

export interface Access {
  /** Needs PostgreSQL (VPC placement, DB secret / proxy connect grant). */
  database?: boolean;
  tables?: Partial<Record<TableName, 'read' | 'readwrite'>>;
  bucket?: 'read' | 'readwrite';
  secrets?: SecretName[];
  /** May start/describe/stop executions of these state machines. */
  stateMachines?: StateMachineName[];
  /** May call the WebSocket @connections management API. */
  websocketManagement?: boolean;
  /** Operator settings this function reads. */
  settings?: SettingName[];
}

export interface FunctionSpec {
  /** kebab-case, unique; becomes part of the Lambda name and logical id. */
  name: string;
  domain: 'platform' | 'agents' | 'ide-bridge' | 'protocols' | 'realtime' | 'n8n-monitor';
  /** Path from the repo root to the handler file. */
  entry: string;
  /** Exported handler name; default `handler`. */
  handler?: string;
  description: string;
  http?: HttpRoute[];
  /** WebSocket route keys: `$connect`, `$disconnect`, `$default`, or an `action` value. */
  websocket?: string[];
  access: Access;
  timeoutSeconds?: number;
  memoryMb?: number;
}

export interface StateMachineSpec {
  name: StateMachineName;
  /** ASL JSON (JSONPath), shared by the stack (DefinitionBody.fromFile) and the local interpreter. */
  definition: string;
  /** Task state name -> function name. Task `Resource` is `${<PascalName>FunctionArn}` in the file. */
  tasks: Record<string, string>;
}
