/**
 * The protocol registry's records: a protocol (LSP, MCP, the platform's REST API), its versions, each
 * version's methods with their JSON Schemas, and what validating one message against them found. Each
 * protocol's schemas come from a dependency (the MCP SDK's schemas, the types of vscode-languageserver-protocol,
 * the platform's own OpenAPI document), behind the `ProtocolCatalog` port; the use cases only ask it.
 */

export type ProtocolId = 'lsp' | 'mcp' | 'rest';
export const PROTOCOL_IDS = ['lsp', 'mcp', 'rest'] as const satisfies readonly ProtocolId[];

export type MessageKind = 'request' | 'notification' | 'response';
export type Direction = 'clientToServer' | 'serverToClient' | 'both';

/** A JSON Schema document (draft-07 for LSP, 2020-12 for MCP and REST; each says so in `$schema`). */
export type JsonSchema = Record<string, unknown>;

export interface MethodInfo {
  /** `textDocument/hover`, `tools/call`, or a REST operation id (`createAgent`). */
  name: string;
  kind: 'request' | 'notification';
  direction: Direction;
  /** REST only: `POST /v1/agents`. */
  route?: string;
  summary?: string;
}

/** A method with its self-contained schemas (every `$ref` resolves inside the schema itself). */
export interface MethodSchemas extends MethodInfo {
  /** What a request or notification carries: LSP/MCP `params`, REST `{ params, query, body }`. */
  params?: JsonSchema;
  /** What a successful response carries: LSP/MCP `result`, REST the body per status code. */
  result?: JsonSchema;
}

export interface ProtocolVersion {
  version: string;
  /** Where the schemas come from: `@modelcontextprotocol/core@2.4.0`, `vscode-languageserver-protocol@3.18.5`, `openapi`. */
  source: string;
  methods: MethodInfo[];
}

export interface ProtocolInfo {
  id: ProtocolId;
  name: string;
  /** Newest first. */
  versions: ProtocolVersion[];
}

export interface ValidationIssue {
  /** A JSON Pointer (RFC 6901) into the message: `/params/position/line`; `` is the message itself. */
  path: string;
  message: string;
}

export interface ValidationOutcome {
  valid: boolean;
  /** What the message was read as, when that could be told. */
  kind?: MessageKind;
  method?: string;
  /** The schema checked, e.g. `HoverRequest_Params` or `CallToolRequestSchema`. */
  schema?: string;
  errors: ValidationIssue[];
}

export interface ValidateInput {
  version: string;
  message: unknown;
  /** For a response: the method (REST: operation) it answers, which a JSON-RPC response does not name. */
  method?: string | undefined;
}

/** One protocol's schemas. Loaded lazily: listing MCP never builds LSP's validators. */
export interface ProtocolCatalog {
  readonly id: ProtocolId;
  readonly name: string;
  /** Newest first; the first is the default version. */
  versions(): Promise<ProtocolVersion[]>;
  method(version: string, name: string): Promise<MethodSchemas | undefined>;
  validate(input: ValidateInput): Promise<ValidationOutcome>;
}

/** RFC 6901: `~` is `~0`, `/` is `~1`. */
export const jsonPointer = (path: ReadonlyArray<string | number>): string =>
  path.map((segment) => `/${String(segment).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');

/**
 * The definitions a schema reaches through `#/definitions/...` or `#/$defs/...` refs, so a method's schema
 * can be served on its own: `{ ...root, definitions: closure }`.
 */
export const reachableDefinitions = (root: unknown, definitions: Record<string, unknown>, prefix = '#/definitions/'): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const node = pending.pop();
    if (Array.isArray(node)) pending.push(...node);
    else if (node !== null && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === '$ref' && typeof value === 'string' && value.startsWith(prefix)) {
          const name = decodeURIComponent(value.slice(prefix.length));
          if (!(name in out) && name in definitions) {
            out[name] = definitions[name];
            pending.push(definitions[name]);
          }
        } else pending.push(value);
      }
    }
  }
  return out;
};

/** JSON-RPC 2.0 as LSP and MCP use it: one message per exchange (no batches), ids are strings or integers. */
export type JsonRpcShape =
  | { kind: 'request'; id: string | number; method: string; params: unknown }
  | { kind: 'notification'; method: string; params: unknown }
  | { kind: 'response'; id: string | number | null; result?: unknown; error?: unknown };

/**
 * Reads the JSON-RPC envelope, or says what is wrong with it (issues with pointers). `allowNullId` for
 * responses (an error answering an unparseable request has id null).
 */
export const readJsonRpc = (message: unknown, protocolName: string): { shape?: JsonRpcShape; issues: ValidationIssue[] } => {
  if (Array.isArray(message)) {
    return { issues: [{ path: '', message: `${protocolName} sends one JSON-RPC message at a time: batch arrays are not allowed` }] };
  }
  if (message === null || typeof message !== 'object') return { issues: [{ path: '', message: 'A JSON-RPC message is a JSON object' }] };
  const m = message as Record<string, unknown>;
  const issues: ValidationIssue[] = [];
  if (m.jsonrpc !== '2.0') issues.push({ path: '/jsonrpc', message: 'Must be the string "2.0"' });
  const idOk = (id: unknown, allowNull: boolean) =>
    typeof id === 'string' || (typeof id === 'number' && Number.isInteger(id)) || (allowNull && id === null);
  if ('method' in m) {
    if (typeof m.method !== 'string' || m.method === '') issues.push({ path: '/method', message: 'Must be a non-empty string' });
    if ('id' in m && !idOk(m.id, false)) issues.push({ path: '/id', message: 'Must be a string or an integer' });
    if ('result' in m || 'error' in m) issues.push({ path: '', message: 'A request or notification has no result or error' });
    if ('params' in m && (m.params === null || typeof m.params !== 'object')) {
      issues.push({ path: '/params', message: 'Must be an object or an array when present' });
    }
    if (issues.length > 0) return { issues };
    const method = m.method as string;
    return 'id' in m
      ? { shape: { kind: 'request', id: m.id as string | number, method, params: m.params }, issues }
      : { shape: { kind: 'notification', method, params: m.params }, issues };
  }
  if ('result' in m || 'error' in m) {
    if (!('id' in m) || !idOk(m.id, true))
      issues.push({ path: '/id', message: 'A response carries the id of its request (string, integer or null)' });
    if ('result' in m && 'error' in m) issues.push({ path: '', message: 'A response has either a result or an error, not both' });
    if ('error' in m) {
      const e = m.error as Record<string, unknown> | null;
      if (e === null || typeof e !== 'object' || Array.isArray(e))
        issues.push({ path: '/error', message: 'Must be an object with code and message' });
      else {
        if (typeof e.code !== 'number' || !Number.isInteger(e.code)) issues.push({ path: '/error/code', message: 'Must be an integer' });
        if (typeof e.message !== 'string') issues.push({ path: '/error/message', message: 'Must be a string' });
      }
    }
    if (issues.length > 0) return { issues };
    return {
      shape: { kind: 'response', id: m.id as string | number | null, ...('result' in m ? { result: m.result } : { error: m.error }) },
      issues,
    };
  }
  return { issues: [{ path: '', message: 'Neither a request or notification (no method) nor a response (no result or error)' }] };
};
