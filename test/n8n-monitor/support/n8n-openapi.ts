/**
 * n8n's own OpenAPI document (test/fixtures/n8n, pinned) as a validator of single HTTP exchanges: does this
 * request match an operation (path, method, query and path parameters, body), and does this response match
 * what that operation documents for its status? OpenAPI 3.0 schemas are turned into JSON Schema for ajv
 * (`nullable` -> a `null` type; in requests, `readOnly` properties are not allowed).
 */
import { fileURLToPath } from 'node:url';
import { dereference } from '@readme/openapi-parser';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

export const N8N_OPENAPI_VERSION = '2.41.1';
export const N8N_OPENAPI_FILE = fileURLToPath(new URL(`../../fixtures/n8n/openapi-${N8N_OPENAPI_VERSION}.yml`, import.meta.url));

type Json = Record<string, any>;

export interface Exchange {
  method: string;
  /** Below the API root (`/executions/12`), no query string. */
  path: string;
  query: Record<string, string>;
  body?: unknown;
}

export interface N8nContract {
  /** The operation matching a method and path, or undefined. */
  operation(method: string, path: string): { id: string; template: string } | undefined;
  /** Problems with a request, empty when it conforms. */
  checkRequest(exchange: Exchange): string[];
  /** Problems with a response to the request, empty when it conforms (undocumented statuses are problems). */
  checkResponse(exchange: Exchange, status: number, body: unknown): string[];
  /** Every operation id the document has, by `METHOD /template`. */
  operations: Map<string, string>;
}

/** OpenAPI 3.0 schema -> JSON Schema (draft 7 as ajv reads it). Cycles are kept as shared objects. */
const toJsonSchema = (schema: unknown, forRequest: boolean, seen = new Map<object, Json>()): unknown => {
  if (Array.isArray(schema)) return schema.map((s) => toJsonSchema(s, forRequest, seen));
  if (!schema || typeof schema !== 'object') return schema;
  const cached = seen.get(schema);
  if (cached) return cached;
  const out: Json = {};
  seen.set(schema, out);
  const source = schema as Json;
  for (const [key, value] of Object.entries(source)) {
    if (['example', 'examples', 'deprecated', 'xml', 'externalDocs', 'discriminator'].includes(key) || key.startsWith('x-')) continue;
    if (key === 'properties') {
      const props: Json = {};
      for (const [name, prop] of Object.entries(value as Json)) {
        if (forRequest && (prop as Json)?.readOnly) continue;
        props[name] = toJsonSchema(prop, forRequest, seen);
      }
      out.properties = props;
    } else if (key === 'required' && Array.isArray(value)) {
      const props = (source.properties ?? {}) as Json;
      out.required = value.filter((name: string) => !(forRequest && props[name]?.readOnly));
    } else {
      out[key] = toJsonSchema(value, forRequest, seen);
    }
  }
  if (source.nullable === true) {
    delete out.nullable;
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  } else {
    delete out.nullable;
  }
  delete out.readOnly;
  delete out.writeOnly;
  return out;
};

export const loadN8nContract = async (): Promise<N8nContract> => {
  const doc = (await dereference(N8N_OPENAPI_FILE)) as Json;
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  (addFormatsModule as unknown as (a: Ajv) => void)(ajv);
  for (const format of ['nanoid', 'identifier', 'uuid', 'email']) if (!ajv.formats[format]) ajv.addFormat(format, true);

  const compiled = new WeakMap<object, Map<string, ValidateFunction>>();
  const validator = (schema: Json, forRequest: boolean): ValidateFunction => {
    const key = forRequest ? 'req' : 'res';
    let byKind = compiled.get(schema);
    if (!byKind) {
      byKind = new Map();
      compiled.set(schema, byKind);
    }
    let fn = byKind.get(key);
    if (!fn) {
      fn = ajv.compile(toJsonSchema(schema, forRequest) as Json);
      byKind.set(key, fn);
    }
    return fn;
  };
  const errorsOf = (fn: ValidateFunction, where: string): string[] =>
    (fn.errors ?? []).map(
      (e) =>
        `${where}${e.instancePath || ''} ${e.message ?? 'is invalid'}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`,
    );

  const routes = Object.entries(doc.paths as Json).map(([template, item]) => {
    const names: string[] = [];
    const pattern = new RegExp(
      `^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_m, name: string) => {
        names.push(name);
        return '([^/]+)';
      })}$`,
    );
    return { template, item: item as Json, pattern, names };
  });
  const operations = new Map<string, string>();
  for (const { template, item } of routes) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete'])
      if (item[method]) operations.set(`${method.toUpperCase()} ${template}`, item[method].operationId);
  }

  const find = (method: string, path: string) => {
    // Literal segments win over parameters (`/executions/stop` before `/executions/{executionId}`).
    const matches = routes
      .map((r) => ({ r, m: r.pattern.exec(path) }))
      .filter((x) => x.m && x.r.item[method.toLowerCase()])
      .sort((a, b) => a.r.names.length - b.r.names.length);
    const hit = matches[0];
    if (!hit) return undefined;
    const params = Object.fromEntries(hit.r.names.map((n, i) => [n, decodeURIComponent(hit.m![i + 1]!)]));
    return { route: hit.r, op: hit.r.item[method.toLowerCase()] as Json, params };
  };

  const coerce = (value: string, schema: Json): unknown => {
    const type = Array.isArray(schema?.type) ? schema.type[0] : schema?.type;
    if ((type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
    if (type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
    return value;
  };

  return {
    operations,
    operation: (method, path) => {
      const found = find(method, path);
      return found && { id: found.op.operationId as string, template: found.route.template };
    },
    checkRequest: ({ method, path, query, body }) => {
      const found = find(method, path);
      if (!found) return [`${method} ${path} is not an operation of n8n's public API`];
      const problems: string[] = [];
      const parameters = [...((found.route.item.parameters as Json[]) ?? []), ...((found.op.parameters as Json[]) ?? [])];
      for (const p of parameters) {
        const value = p.in === 'path' ? found.params[p.name] : p.in === 'query' ? query[p.name] : undefined;
        if (p.in !== 'path' && p.in !== 'query') continue;
        if (value === undefined) {
          if (p.required) problems.push(`${p.in} parameter ${p.name} is required`);
          continue;
        }
        const fn = validator(p.schema ?? {}, true);
        if (!fn(coerce(value, p.schema))) problems.push(...errorsOf(fn, `${p.in}.${p.name}`));
      }
      const known = new Set(parameters.filter((p) => p.in === 'query').map((p) => p.name));
      for (const name of Object.keys(query)) if (!known.has(name)) problems.push(`query parameter ${name} is not documented`);
      const content = found.op.requestBody?.content?.['application/json'];
      if (body === undefined) {
        if (found.op.requestBody?.required) problems.push('a JSON body is required');
      } else if (!content) {
        problems.push('the operation takes no JSON body');
      } else if (content.schema) {
        const fn = validator(content.schema, true);
        if (!fn(body)) problems.push(...errorsOf(fn, 'body'));
      }
      return problems;
    },
    checkResponse: ({ method, path }, status, body) => {
      const found = find(method, path);
      if (!found) return [`${method} ${path} is not an operation of n8n's public API`];
      const response = (found.op.responses as Json)[String(status)] as Json | undefined;
      if (!response) return [`${found.op.operationId} does not document status ${status}`];
      const schema = response.content?.['application/json']?.schema;
      if (!schema) return [];
      const fn = validator(schema, false);
      return fn(body) ? [] : errorsOf(fn, `${found.op.operationId} ${status} body`);
    },
  };
};
