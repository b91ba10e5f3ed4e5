/**
 * MCP from the official SDK's own schemas: `@modelcontextprotocol/core` exports the zod schema of every
 * message (`CallToolRequestSchema`, `ListToolsResultSchema`, ...), the ones the SDK itself validates against.
 * The methods are found in those exports (every request or notification schema with a literal `method`), the
 * direction from the SDK's client and server unions, the JSON Schemas by zod's own converter.
 *
 * What the public schemas do not carry per revision is checked here, with the SDK's constants:
 * - which methods a revision has (`REVISION_METHODS`; test/protocols/protocol-registry.test.ts holds the table
 *   against the SDK server's own answers, so an SDK upgrade that changes a revision fails that test);
 * - 2026-07-28: every client request carries the `_meta` envelope (protocol version, client capabilities),
 *   and every result names its `resultType`.
 */
import * as core from '@modelcontextprotocol/core';
// The envelope's key names from core's own entry for the SDK's packages (pinned with them): the client package
// exports the same constants but would bring the whole MCP client (320 KiB) into every function that validates.
import { CLIENT_CAPABILITIES_META_KEY, CLIENT_INFO_META_KEY, PROTOCOL_VERSION_META_KEY } from '@modelcontextprotocol/core/internal';
import * as z from 'zod';
import {
  readJsonRpc,
  type Direction,
  type JsonSchema,
  type MethodInfo,
  type MethodSchemas,
  type ProtocolCatalog,
  type ProtocolVersion,
  type ValidateInput,
  type ValidationIssue,
  type ValidationOutcome,
} from './protocol.ts';
import { zodIssuesOf } from './zod-issues.ts';

export const MCP_REVISIONS = ['2026-07-28', '2025-11-25'] as const;
export type McpRevision = (typeof MCP_REVISIONS)[number];
export const LATEST_MCP_REVISION: McpRevision = '2026-07-28';

/** Which methods each revision has (2026-07-28 dropped the handshake, ping, logging, tasks and server requests). */
export const REVISION_METHODS: Record<McpRevision, ReadonlySet<string>> = {
  '2026-07-28': new Set([
    'server/discover',
    'tools/list',
    'tools/call',
    'prompts/list',
    'prompts/get',
    'resources/list',
    'resources/templates/list',
    'resources/read',
    'completion/complete',
    'subscriptions/listen',
    'notifications/cancelled',
    'notifications/progress',
    'notifications/message',
    'notifications/resources/updated',
    'notifications/resources/list_changed',
    'notifications/tools/list_changed',
    'notifications/prompts/list_changed',
    'notifications/subscriptions/acknowledged',
  ]),
  '2025-11-25': new Set([
    'initialize',
    'ping',
    'completion/complete',
    'logging/setLevel',
    'prompts/get',
    'prompts/list',
    'resources/list',
    'resources/templates/list',
    'resources/read',
    'resources/subscribe',
    'resources/unsubscribe',
    'tools/call',
    'tools/list',
    'tasks/get',
    'tasks/result',
    'tasks/list',
    'tasks/cancel',
    'sampling/createMessage',
    'elicitation/create',
    'roots/list',
    'notifications/cancelled',
    'notifications/progress',
    'notifications/initialized',
    'notifications/roots/list_changed',
    'notifications/tasks/status',
    'notifications/message',
    'notifications/resources/updated',
    'notifications/resources/list_changed',
    'notifications/tools/list_changed',
    'notifications/prompts/list_changed',
    'notifications/elicitation/complete',
  ]),
};

/** Where the convention `<X>RequestSchema` -> `<X>ResultSchema` does not name the result. */
const RESULT_OVERRIDES: Record<string, string> = {
  // Since 2025-11-25 a sampling result may hold tool use; this is the SDK's schema for that.
  'sampling/createMessage': 'CreateMessageResultWithToolsSchema',
};

interface McpMethod {
  name: string;
  kind: 'request' | 'notification';
  direction: Direction;
  schemaName: string;
  schema: z.ZodType;
  resultName?: string;
  result?: z.ZodType;
}

const exportsOf = core as unknown as Record<string, unknown>;

const methodLiteral = (schema: unknown): string | undefined => {
  const method = (schema as { shape?: { method?: { def?: { values?: unknown[] } } } }).shape?.method;
  const value = method?.def?.values?.[0];
  return typeof value === 'string' ? value : undefined;
};

const unionMethods = (union: unknown): Set<string> =>
  new Set(((union as { options?: unknown[] }).options ?? []).map(methodLiteral).filter((m): m is string => m !== undefined));

let table: Map<string, McpMethod> | undefined;

const methods = (): Map<string, McpMethod> => {
  if (table) return table;
  const fromClient = new Set([...unionMethods(core.ClientRequestSchema), ...unionMethods(core.ClientNotificationSchema)]);
  const fromServer = new Set([...unionMethods(core.ServerRequestSchema), ...unionMethods(core.ServerNotificationSchema)]);
  table = new Map();
  for (const [schemaName, schema] of Object.entries(exportsOf)) {
    const kind = schemaName.endsWith('RequestSchema') ? 'request' : schemaName.endsWith('NotificationSchema') ? 'notification' : undefined;
    const name = kind && schema instanceof z.ZodType ? methodLiteral(schema) : undefined;
    if (!kind || !name || table.has(name)) continue;
    const client = fromClient.has(name);
    const server = fromServer.has(name);
    const entry: McpMethod = {
      name,
      kind,
      direction: client && server ? 'both' : server ? 'serverToClient' : 'clientToServer',
      schemaName,
      schema: schema as z.ZodType,
    };
    if (kind === 'request') {
      const conventional = schemaName.replace(/RequestSchema$/, 'ResultSchema');
      const resultName = RESULT_OVERRIDES[name] ?? (exportsOf[conventional] instanceof z.ZodType ? conventional : 'EmptyResultSchema');
      entry.resultName = resultName;
      entry.result = exportsOf[resultName] as z.ZodType;
    }
    table.set(name, entry);
  }
  return table;
};

const isRevision = (v: string): v is McpRevision => (MCP_REVISIONS as readonly string[]).includes(v);

const infoOf = (m: McpMethod): MethodInfo => ({ name: m.name, kind: m.kind, direction: m.direction });

const jsonSchemaCache = new Map<z.ZodType, JsonSchema>();
const toJsonSchema = (schema: z.ZodType): JsonSchema => {
  let out = jsonSchemaCache.get(schema);
  if (!out) {
    out = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as JsonSchema;
    jsonSchemaCache.set(schema, out);
  }
  return out;
};

const paramsSchemaOf = (m: McpMethod): z.ZodType | undefined => (m.schema as unknown as { shape?: { params?: z.ZodType } }).shape?.params;

/** The 2026-07-28 `_meta` envelope every client request carries (SEP: capabilities per request, no handshake). */
const envelopeIssues = (params: unknown, revision: McpRevision): ValidationIssue[] => {
  const meta = (params as { _meta?: unknown } | undefined)?._meta;
  const base = '/params/_meta';
  if (meta === undefined || meta === null || typeof meta !== 'object' || Array.isArray(meta)) {
    return [
      { path: base, message: `Required in MCP ${revision}: the request envelope (${PROTOCOL_VERSION_META_KEY}, ${CLIENT_CAPABILITIES_META_KEY})` },
    ];
  }
  const m = meta as Record<string, unknown>;
  const issues: ValidationIssue[] = [];
  const key = (k: string) => `${base}/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`;
  const version = m[PROTOCOL_VERSION_META_KEY];
  if (version === undefined) issues.push({ path: key(PROTOCOL_VERSION_META_KEY), message: 'Required' });
  else if (version !== revision) issues.push({ path: key(PROTOCOL_VERSION_META_KEY), message: `Must be "${revision}" for this revision` });
  const capabilities = m[CLIENT_CAPABILITIES_META_KEY];
  if (capabilities === undefined) issues.push({ path: key(CLIENT_CAPABILITIES_META_KEY), message: 'Required' });
  else {
    const parsed = core.ClientCapabilitiesSchema.safeParse(capabilities);
    if (!parsed.success) issues.push(...zodIssuesOf(parsed.error).map((i) => ({ ...i, path: `${key(CLIENT_CAPABILITIES_META_KEY)}${i.path}` })));
  }
  const info = m[CLIENT_INFO_META_KEY];
  if (info !== undefined) {
    const parsed = core.ImplementationSchema.safeParse(info);
    if (!parsed.success) issues.push(...zodIssuesOf(parsed.error).map((i) => ({ ...i, path: `${key(CLIENT_INFO_META_KEY)}${i.path}` })));
  }
  return issues;
};

const otherRevisionHint = (method: string, revision: McpRevision): string => {
  const other = MCP_REVISIONS.find((r) => r !== revision && REVISION_METHODS[r].has(method));
  return other ? ` (it is a ${other} method)` : '';
};

/** The revision's method, or why not (for the translation and compatibility layers too). */
export const mcpMethod = (revision: McpRevision, name: string): McpMethod | undefined =>
  REVISION_METHODS[revision].has(name) ? methods().get(name) : undefined;

/** Checks a result of `method` under `revision`; issues point below `prefix`. */
export const checkMcpResult = (revision: McpRevision, method: string, result: unknown, prefix = '/result'): ValidationIssue[] => {
  const m = mcpMethod(revision, method);
  if (!m?.result) return [{ path: '', message: `MCP ${revision} has no request ${method}${otherRevisionHint(method, revision)}` }];
  const issues: ValidationIssue[] = [];
  const parsed = m.result.safeParse(result);
  if (!parsed.success) issues.push(...zodIssuesOf(parsed.error, prefix.split('/').filter(Boolean)));
  if (
    revision === '2026-07-28' &&
    (result === null || typeof result !== 'object' || typeof (result as { resultType?: unknown }).resultType !== 'string')
  ) {
    issues.push({ path: `${prefix}/resultType`, message: 'Required in MCP 2026-07-28 ("complete" for a final result)' });
  }
  return issues;
};

export const mcpCatalog = (): ProtocolCatalog => ({
  id: 'mcp',
  name: 'Model Context Protocol',
  versions: async (): Promise<ProtocolVersion[]> =>
    MCP_REVISIONS.map((revision) => ({
      version: revision,
      source: '@modelcontextprotocol/core',
      methods: [...methods().values()].filter((m) => REVISION_METHODS[revision].has(m.name)).map(infoOf),
    })),
  method: async (version, name) => {
    if (!isRevision(version)) return undefined;
    const m = mcpMethod(version, name);
    if (!m) return undefined;
    const out: MethodSchemas = infoOf(m);
    const params = paramsSchemaOf(m);
    if (params) out.params = toJsonSchema(params);
    if (m.result) out.result = toJsonSchema(m.result);
    return out;
  },
  validate: async ({ version, message, method: answers }: ValidateInput): Promise<ValidationOutcome> => {
    const revision = version as McpRevision;
    const { shape, issues } = readJsonRpc(message, `MCP ${revision}`);
    if (!shape) return { valid: false, errors: issues };
    if (shape.kind === 'response') {
      if (shape.error !== undefined || !answers) return { valid: true, kind: 'response', errors: [] };
      const errors = checkMcpResult(revision, answers, shape.result);
      const m = mcpMethod(revision, answers);
      return { valid: errors.length === 0, kind: 'response', method: answers, ...(m?.resultName && { schema: m.resultName }), errors };
    }
    const m = mcpMethod(revision, shape.method);
    if (!m) {
      return {
        valid: false,
        kind: shape.kind,
        method: shape.method,
        errors: [
          {
            path: '/method',
            message: `MCP ${revision} has no method ${shape.method}${otherRevisionHint(shape.method, revision)} (-32601 Method not found)`,
          },
        ],
      };
    }
    if (m.kind !== shape.kind) {
      const should = m.kind === 'request' ? 'a request (with an id)' : 'a notification (without an id)';
      return { valid: false, kind: shape.kind, method: shape.method, errors: [{ path: '', message: `${shape.method} is ${should}` }] };
    }
    const errors: ValidationIssue[] = [];
    const parsed = m.schema.safeParse({ method: shape.method, ...(shape.params !== undefined && { params: shape.params }) });
    if (!parsed.success) errors.push(...zodIssuesOf(parsed.error));
    if (revision === '2026-07-28' && m.kind === 'request' && m.direction !== 'serverToClient') errors.push(...envelopeIssues(shape.params, revision));
    return { valid: errors.length === 0, kind: shape.kind, method: shape.method, schema: m.schemaName, errors };
  },
});
