/**
 * Translates one message between LSP, MCP and REST: LSP requests <-> MCP `tools/call` <-> REST calls, and
 * their results back. LSP is the pivot: a message is read into an LSP request or response, then written in
 * the target protocol (MCP <-> REST goes through it). The source is checked against its protocol's schemas
 * first (a 400 names the bad field); a message with no mapping is a 422 naming its method.
 */
import type { FieldError } from '#shared/errors.ts';
import { UnprocessableContentError, ValidationError } from '#shared/errors.ts';
import { readJsonRpc, type ValidationIssue, type ValidationOutcome } from '../registry/protocol.ts';
import {
  argumentsToParams,
  errorToToolResult,
  paramsToArguments,
  resultToToolResult,
  toolByMethod,
  toolByName,
  toolResultToLsp,
  type ToolResult,
} from './lsp-tools.ts';
import { MappingError, restByLsp, restByRoute, type Workspace, type WorkspaceDocument } from './rest-mappings.ts';
import type { TranslateBody, TranslateResult } from './translate.contracts.ts';

export interface TranslatePorts {
  /** Issues of an LSP params or result value (pointers under `prefix`), or undefined when LSP has no such schema. */
  checkLsp(method: string, part: 'params' | 'result', value: unknown, prefix: string): ValidationIssue[] | undefined;
  /** A REST exchange checked against the platform's OpenAPI document. */
  checkRest(message: unknown): Promise<ValidationOutcome>;
  /** Issues of an MCP CallToolResult (the SDK's schema). */
  checkToolResult(value: unknown): ValidationIssue[];
}

type Id = string | number | null;
type LspError = { code: number; message: string; data?: unknown };

/** The message read as LSP: the pivot every translation goes through. */
type Pivot =
  | { kind: 'request'; id: Id; method: string; params: Record<string, unknown>; documents?: WorkspaceDocument[] }
  | { kind: 'response'; id: Id; method: string; result?: unknown; error?: LspError };

/** REST has no request ids; the JSON-RPC messages made from REST carry this one. */
export const REST_REQUEST_ID = 1;

const toField = (pointer: string, base: string): string =>
  [
    base,
    ...pointer
      .split('/')
      .slice(1)
      .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~')),
  ].join('.');

const invalid = (detail: string, issues: ValidationIssue[], base = 'body.message'): ValidationError =>
  new ValidationError(
    detail,
    issues.map((i): FieldError => ({ path: toField(i.path, base), message: i.message })),
  );

const noMapping = (detail: string, field = 'body.message.method'): UnprocessableContentError =>
  new UnprocessableContentError(detail, [{ path: field, message: detail }]);

const workspaceOf = (body: TranslateBody): Workspace => ({
  rootUri: body.workspace?.rootUri ?? 'file:///',
  documents: body.workspace?.documents ?? [],
  target: body.workspace?.target,
});

const mapping = <T>(f: () => T): T => {
  try {
    return f();
  } catch (error) {
    if (error instanceof MappingError) throw new ValidationError(error.message, [{ path: `body.${error.field}`, message: error.message }]);
    throw error;
  }
};

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

// ---------------------------------------------------------------------------------------------- readers

const readEnvelope = (message: unknown, protocol: string) => {
  const { shape, issues } = readJsonRpc(message, protocol);
  if (!shape) throw invalid(`The message is not a ${protocol} JSON-RPC message`, issues);
  if (shape.kind === 'notification')
    throw noMapping(`${protocol} notifications (${shape.method}) have no mapping: only requests and their results translate`);
  return shape;
};

const responseMethod = (method: string | undefined, protocol: string, what: string): string => {
  if (!method) {
    throw new ValidationError(`A ${protocol} response does not name its request: give it in method`, [
      { path: 'body.method', message: `Required for a response: the ${what} it answers` },
    ]);
  }
  return method;
};

const fromLsp = (ports: TranslatePorts, body: TranslateBody): Pivot => {
  const shape = readEnvelope(body.message, 'LSP');
  if (shape.kind === 'request') {
    if (!isObject(shape.params)) throw invalid(`${shape.method} takes its params as an object`, [{ path: '/params', message: 'Must be an object' }]);
    const issues = ports.checkLsp(shape.method, 'params', shape.params, '/params');
    if (issues === undefined) throw noMapping(`LSP 3.18 has no request ${shape.method} with params, so nothing to translate`);
    if (issues.length > 0) throw invalid(`The ${shape.method} params are not valid LSP 3.18`, issues);
    return { kind: 'request', id: shape.id, method: shape.method, params: shape.params };
  }
  const method = responseMethod(body.method, 'LSP', 'LSP method');
  if (shape.error !== undefined) return { kind: 'response', id: shape.id, method, error: shape.error as LspError };
  const issues = ports.checkLsp(method, 'result', shape.result ?? null, '/result');
  if (issues === undefined) throw noMapping(`LSP 3.18 has no request ${method}`, 'body.method');
  if (issues.length > 0) throw invalid(`The result is not a valid ${method} result`, issues);
  return { kind: 'response', id: shape.id, method, result: shape.result ?? null };
};

const fromMcp = (ports: TranslatePorts, body: TranslateBody): Pivot => {
  const shape = readEnvelope(body.message, 'MCP');
  if (shape.kind === 'request') {
    if (shape.method !== 'tools/call') throw noMapping(`MCP ${shape.method} has no LSP mapping: only tools/call of the LSP tools translates`);
    const params = shape.params as { name?: unknown; arguments?: unknown } | undefined;
    if (!isObject(params) || typeof params.name !== 'string') {
      throw invalid('tools/call names its tool', [{ path: '/params/name', message: 'Required: the tool name' }]);
    }
    const tool = toolByName.get(params.name);
    if (!tool) {
      throw noMapping(
        `The MCP tool ${params.name} has no LSP method (the LSP tools: ${[...toolByName.keys()].join(', ')})`,
        'body.message.params.name',
      );
    }
    const args = params.arguments ?? {};
    const parsed = tool.input.safeParse(args);
    if (!parsed.success) {
      throw invalid(
        `The arguments of ${tool.name} are not valid`,
        parsed.error.issues.map((i) => ({ path: `/params/arguments${i.path.map((p) => `/${String(p)}`).join('')}`, message: i.message })),
      );
    }
    const lspParams = argumentsToParams(tool, args as Record<string, unknown>);
    const issues = ports.checkLsp(tool.method, 'params', lspParams, '/params/arguments') ?? [];
    if (issues.length > 0) throw invalid(`The arguments of ${tool.name} do not make valid ${tool.method} params`, issues);
    return { kind: 'request', id: shape.id, method: tool.method, params: lspParams };
  }
  const name = responseMethod(body.method, 'MCP', 'tool name');
  const tool = toolByName.get(name);
  if (!tool) throw noMapping(`The MCP tool ${name} has no LSP method`, 'body.method');
  if (shape.error !== undefined) {
    // A JSON-RPC error to tools/call (unknown tool, bad arguments) is an LSP error as it is.
    return { kind: 'response', id: shape.id, method: tool.method, error: shape.error as LspError };
  }
  const issues = ports.checkToolResult(shape.result);
  if (issues.length > 0)
    throw invalid(
      'The result is not an MCP CallToolResult',
      issues.map((i) => ({ ...i, path: `/result${i.path}` })),
    );
  const read = toolResultToLsp(shape.result as ToolResult);
  if ('invalid' in read) throw invalid(read.invalid, [{ path: '/result/structuredContent', message: read.invalid }]);
  if ('error' in read) return { kind: 'response', id: shape.id, method: tool.method, error: read.error };
  const resultIssues = ports.checkLsp(tool.method, 'result', read.result, '/result/structuredContent/result') ?? [];
  if (resultIssues.length > 0) throw invalid(`The tool result does not hold a valid ${tool.method} result`, resultIssues);
  return { kind: 'response', id: shape.id, method: tool.method, result: read.result };
};

const fromRest = async (ports: TranslatePorts, body: TranslateBody, ws: Workspace): Promise<Pivot> => {
  const message = body.message;
  if (!isObject(message) || typeof message.method !== 'string' || typeof message.path !== 'string') {
    throw invalid('A REST message is { method, path, body } (or with status for a response)', [
      { path: '', message: 'Expected { method, path, ... }' },
    ]);
  }
  const route = restByRoute(message.method, message.path);
  if (!route) {
    throw noMapping(
      `REST ${message.method.toUpperCase()} ${message.path.split('?')[0]} has no LSP mapping (mapped: /v1/ide/analyze, /complete, /inline, /fix)`,
      'body.message.path',
    );
  }
  const outcome = await ports.checkRest(message);
  if (!outcome.valid) throw invalid(`The REST message is not valid against the platform's OpenAPI document`, outcome.errors);
  const restBody = (message.body ?? {}) as Record<string, unknown>;
  if (!('status' in message)) {
    const { params, documents } = mapping(() => route.fromRest(restBody, ws));
    return { kind: 'request', id: REST_REQUEST_ID, method: route.lspMethod, params, documents };
  }
  const status = message.status as number;
  if (status >= 400) {
    const detail = typeof restBody.detail === 'string' ? restBody.detail : `HTTP ${status}`;
    return { kind: 'response', id: REST_REQUEST_ID, method: route.lspMethod, error: { code: -32803, message: detail, data: restBody } };
  }
  return { kind: 'response', id: REST_REQUEST_ID, method: route.lspMethod, result: mapping(() => route.resultFromRest(restBody, ws)) };
};

// ---------------------------------------------------------------------------------------------- writers

const toLsp = (ports: TranslatePorts, pivot: Pivot): { message: unknown; method: string } => {
  if (pivot.kind === 'request') {
    return { message: { jsonrpc: '2.0', id: pivot.id, method: pivot.method, params: pivot.params }, method: pivot.method };
  }
  if (pivot.error) return { message: { jsonrpc: '2.0', id: pivot.id, error: pivot.error }, method: pivot.method };
  const issues = ports.checkLsp(pivot.method, 'result', pivot.result ?? null, '/result') ?? [];
  if (issues.length > 0) throw invalid(`The translated result is not a valid ${pivot.method} result`, issues);
  return { message: { jsonrpc: '2.0', id: pivot.id, result: pivot.result ?? null }, method: pivot.method };
};

const toMcp = (pivot: Pivot): { message: unknown; method: string } => {
  const tool = toolByMethod.get(pivot.method);
  if (!tool) {
    throw noMapping(
      `LSP ${pivot.method} has no MCP tool (mapped: ${[...toolByMethod.keys()].join(', ')})`,
      pivot.kind === 'response' ? 'body.method' : undefined,
    );
  }
  if (pivot.kind === 'request') {
    return {
      message: { jsonrpc: '2.0', id: pivot.id, method: 'tools/call', params: { name: tool.name, arguments: paramsToArguments(tool, pivot.params) } },
      method: tool.name,
    };
  }
  const result = pivot.error ? errorToToolResult(pivot.error) : resultToToolResult(pivot.result);
  return { message: { jsonrpc: '2.0', id: pivot.id, result }, method: tool.name };
};

const toRest = async (ports: TranslatePorts, pivot: Pivot, ws: Workspace): Promise<{ message: unknown; method: string }> => {
  const route = restByLsp.get(pivot.method);
  if (!route) {
    throw noMapping(
      `LSP ${pivot.method} has no REST route (mapped: ${[...restByLsp.keys()].join(', ')})`,
      pivot.kind === 'response' ? 'body.method' : undefined,
    );
  }
  if (pivot.kind === 'response') {
    throw noMapping('Results translate from REST, not to it: a REST response is what the API itself answers', 'body.to');
  }
  const message = { method: route.http.method, path: route.http.path, body: mapping(() => route.toRest(pivot.params, ws)) };
  const outcome = await ports.checkRest(message);
  if (!outcome.valid) throw invalid('The translated REST request is not valid against the OpenAPI document', outcome.errors, 'body.workspace');
  return { message, method: `${route.http.method} ${route.http.path}` };
};

export const translate = async (ports: TranslatePorts, body: TranslateBody): Promise<TranslateResult> => {
  const ws = workspaceOf(body);
  const pivot = body.from === 'lsp' ? fromLsp(ports, body) : body.from === 'mcp' ? fromMcp(ports, body) : await fromRest(ports, body, ws);
  const out = body.to === 'lsp' ? toLsp(ports, pivot) : body.to === 'mcp' ? toMcp(pivot) : await toRest(ports, pivot, ws);
  return {
    from: body.from,
    to: body.to,
    kind: pivot.kind,
    message: out.message,
    method: out.method,
    ...(pivot.kind === 'request' && pivot.documents && pivot.documents.length > 0 && { documents: pivot.documents }),
  };
};
