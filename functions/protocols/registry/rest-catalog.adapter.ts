/**
 * The platform's REST API v1 as a protocol: its OpenAPI 3.1 document (platform.public.ts, the very document
 * `GET /openapi.json` serves, generated from the zod schemas that validate requests) gives the methods (one
 * per operation, named by operationId) and the schemas. A REST message is an HTTP exchange written as JSON:
 * a request `{ method, path, query?, headers?, body? }`, a response `{ method, path, status, body? }`.
 */
import addFormatsModule from 'ajv-formats';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { issuesOf } from './ajv-issues.ts';
import {
  jsonPointer,
  type JsonSchema,
  type MethodInfo,
  type MethodSchemas,
  type ProtocolCatalog,
  type ProtocolVersion,
  type ValidateInput,
  type ValidationIssue,
  type ValidationOutcome,
} from './protocol.ts';

export const REST_VERSION = 'v1';
const SCHEMA_ID = 'openapi';
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

type Json = Record<string, unknown>;

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Json;
}

export interface Operation {
  id: string;
  method: string;
  template: string;
  summary?: string;
  pointer: string;
  parameters: Parameter[];
  body?: { required: boolean; pointer: string };
  responses: Record<string, { pointer?: string }>;
  regex: RegExp;
  pathParams: string[];
}

const escapeToken = (s: string) => s.replaceAll('~', '~0').replaceAll('/', '~1');

const compileTemplate = (template: string): { regex: RegExp; names: string[] } => {
  const names: string[] = [];
  const pattern = template
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      if (param) {
        names.push(param[1]!);
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { regex: new RegExp(`^${pattern}/?$`), names };
};

export interface RestApi {
  document: Json;
  operations: Operation[];
  byId: Map<string, Operation>;
  validator(pointer: string): ValidateFunction;
  find(method: string, path: string): { operation?: Operation; params?: Record<string, string>; allowed?: string[] };
}

/** Reads the operations of an OpenAPI 3.1 document and compiles validators on demand. */
export const restApiOf = (document: Json): RestApi => {
  const operations: Operation[] = [];
  for (const [template, item] of Object.entries((document.paths ?? {}) as Record<string, Json>)) {
    for (const method of METHODS) {
      const op = item[method] as Json | undefined;
      if (!op) continue;
      const pointer = `#/paths/${escapeToken(template)}/${method}`;
      const content = ((op.requestBody as Json | undefined)?.content ?? {}) as Record<string, Json>;
      const jsonBody = Object.keys(content).find((type) => /json/i.test(type));
      const responses: Operation['responses'] = {};
      for (const [status, r] of Object.entries((op.responses ?? {}) as Record<string, Json>)) {
        const types = Object.keys((r.content ?? {}) as Json);
        const type = types.find((t) => /json/i.test(t));
        responses[status] = type ? { pointer: `${pointer}/responses/${escapeToken(status)}/content/${escapeToken(type)}/schema` } : {};
      }
      const { regex, names } = compileTemplate(template);
      operations.push({
        id: String(op.operationId ?? `${method} ${template}`),
        method: method.toUpperCase(),
        template,
        ...(typeof op.summary === 'string' && { summary: op.summary }),
        pointer,
        // Kept whole: a parameter's index is its place in the document (validators are compiled by pointer).
        parameters: (op.parameters ?? []) as Parameter[],
        ...(jsonBody && {
          body: { required: (op.requestBody as Json).required === true, pointer: `${pointer}/requestBody/content/${escapeToken(jsonBody)}/schema` },
        }),
        responses,
        regex,
        pathParams: names,
      });
    }
  }
  // Literal segments first, as API Gateway matches (`/v1/agents/new` before `/v1/agents/{id}`).
  const specificity = (o: Operation) => o.template.split('/').filter((s) => !s.startsWith('{')).length;
  operations.sort((a, b) => specificity(b) - specificity(a));

  let ajv: Ajv2020 | undefined;
  const validators = new Map<string, ValidateFunction>();
  const validator = (pointer: string): ValidateFunction => {
    let v = validators.get(pointer);
    if (!v) {
      ajv ??= (() => {
        // The zod-generated patterns are JavaScript regular expressions without the u flag.
        const instance = new Ajv2020({ allErrors: true, strict: false, validateSchema: false, unicodeRegExp: false });
        (addFormatsModule as unknown as (a: Ajv2020) => void)(instance);
        instance.addSchema({ ...document, $id: SCHEMA_ID });
        return instance;
      })();
      v = ajv.compile({ $ref: `${SCHEMA_ID}${pointer}` });
      validators.set(pointer, v);
    }
    return v;
  };

  return {
    document,
    operations,
    byId: new Map(operations.map((o) => [o.id, o])),
    validator,
    find: (method, path) => {
      const matching = operations.map((o) => ({ o, m: o.regex.exec(path) })).filter((x) => x.m);
      if (matching.length === 0) return {};
      const hit = matching.find((x) => x.o.method === method.toUpperCase());
      if (!hit) return { allowed: [...new Set(matching.map((x) => x.o.method))] };
      let params: Record<string, string>;
      try {
        params = Object.fromEntries(hit.o.pathParams.map((name, i) => [name, decodeURIComponent(hit.m![i + 1]!)]));
      } catch {
        return { operation: hit.o, params: {} };
      }
      return { operation: hit.o, params };
    },
  };
};

/** A component-closed copy of a schema inside the document, so it can be served on its own. */
const standalone = (api: RestApi, pointer: string): JsonSchema => {
  const resolve = (p: string): unknown =>
    p
      .slice(2)
      .split('/')
      .reduce<unknown>((node, seg) => (node as Json | undefined)?.[seg.replaceAll('~1', '/').replaceAll('~0', '~')], api.document);
  const schemas = ((api.document.components as Json | undefined)?.schemas ?? {}) as Record<string, unknown>;
  const used: Record<string, unknown> = {};
  const pending: unknown[] = [resolve(pointer)];
  while (pending.length > 0) {
    const node = pending.pop();
    if (Array.isArray(node)) pending.push(...node);
    else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/')) {
          const name = v.slice('#/components/schemas/'.length);
          if (!(name in used) && name in schemas) {
            used[name] = schemas[name];
            pending.push(schemas[name]);
          }
        } else pending.push(v);
      }
    }
  }
  const root = resolve(pointer) as Json;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    ...root,
    ...(Object.keys(used).length > 0 && { components: { schemas: used } }),
  };
};

/** A query or header string read as the type its schema names (what the API's own coercing schemas accept). */
const coerce = (value: unknown, schema: Json | undefined): unknown => {
  if (typeof value !== 'string' || !schema) return value;
  const types = new Set([schema.type, ...((schema.anyOf as Json[] | undefined) ?? []).map((s) => s.type)].flat());
  if ((types.has('integer') || types.has('number')) && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (types.has('boolean') && (value === 'true' || value === 'false')) return value === 'true';
  return value;
};

const check = (api: RestApi, pointer: string, value: unknown, at: string): ValidationIssue[] => {
  const validate = api.validator(pointer);
  return validate(value) ? [] : issuesOf(validate.errors, at);
};

const readUrl = (raw: string): { path: string; query: Record<string, string | string[]> } => {
  const [path, search] = raw.split('?', 2) as [string, string | undefined];
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(search ?? '')) {
    const prior = query[k];
    query[k] = prior === undefined ? v : Array.isArray(prior) ? [...prior, v] : [prior, v];
  }
  return { path, query };
};

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Validates one REST exchange (request or response) against the API's OpenAPI document. */
export const validateRestMessage = (api: RestApi, message: unknown): ValidationOutcome => {
  if (!isObject(message)) {
    return {
      valid: false,
      errors: [{ path: '', message: 'A REST message is an object: { method, path, query?, headers?, body? } or { method, path, status, body? }' }],
    };
  }
  const errors: ValidationIssue[] = [];
  if (typeof message.method !== 'string' || !/^[A-Za-z]+$/.test(message.method))
    errors.push({ path: '/method', message: 'An HTTP method: GET, POST, ...' });
  if (typeof message.path !== 'string' || !message.path.startsWith('/'))
    errors.push({ path: '/path', message: 'A path starting with /, e.g. /v1/agents' });
  if (
    'status' in message &&
    (typeof message.status !== 'number' || !Number.isInteger(message.status) || message.status < 100 || message.status > 599)
  ) {
    errors.push({ path: '/status', message: 'An HTTP status code (100-599)' });
  }
  if (errors.length > 0) return { valid: false, errors };
  const method = (message.method as string).toUpperCase();
  const url = readUrl(message.path as string);
  const { operation, params, allowed } = api.find(method, url.path);
  const isResponse = 'status' in message;
  const kind = isResponse ? 'response' : 'request';
  if (!operation) {
    return {
      valid: false,
      kind,
      errors: [
        allowed
          ? { path: '/method', message: `${method} is not an operation of ${url.path} (405; allowed: ${allowed.join(', ')})` }
          : { path: '/path', message: `No operation of REST ${REST_VERSION} matches ${url.path} (404)` },
      ],
    };
  }
  const base = { kind, method: operation.id } as const;

  if (isResponse) {
    const status = String(message.status);
    const response = operation.responses[status] ?? operation.responses[`${status[0]}XX`] ?? operation.responses.default;
    if (!response) {
      return {
        ...base,
        valid: false,
        errors: [
          {
            path: '/status',
            message: `${operation.id} documents no ${status} response (documented: ${Object.keys(operation.responses).join(', ')})`,
          },
        ],
      };
    }
    if (response.pointer) errors.push(...check(api, response.pointer, message.body, '/body'));
    else if (message.body !== undefined && message.body !== null && message.body !== '')
      errors.push({ path: '/body', message: `A ${status} of ${operation.id} has no body` });
    return { ...base, valid: errors.length === 0, ...(response.pointer && { schema: response.pointer }), errors };
  }

  if ('query' in message && message.query !== undefined && !isObject(message.query))
    errors.push({ path: '/query', message: 'An object of query parameters' });
  if ('headers' in message && message.headers !== undefined && !isObject(message.headers))
    errors.push({ path: '/headers', message: 'An object of headers' });
  const query = { ...url.query, ...(isObject(message.query) ? message.query : {}) };
  const headers = Object.fromEntries(Object.entries(isObject(message.headers) ? message.headers : {}).map(([k, v]) => [k.toLowerCase(), v]));
  operation.parameters.forEach((p, index) => {
    if (p.in !== 'path' && p.in !== 'query' && p.in !== 'header') return;
    const source = p.in === 'path' ? params : p.in === 'query' ? query : headers;
    const name = p.in === 'header' ? p.name.toLowerCase() : p.name;
    const value = source?.[name];
    const at = p.in === 'path' ? jsonPointer(['path']) : jsonPointer([p.in === 'query' ? 'query' : 'headers', name]);
    if (value === undefined) {
      if (p.required) errors.push({ path: at, message: `The ${p.in} parameter ${p.name} is required` });
      return;
    }
    const issues = check(api, `${operation.pointer}/parameters/${index}/schema`, coerce(value, p.schema), at);
    errors.push(...issues.map((i) => (p.in === 'path' ? { ...i, message: `${p.name}: ${i.message}` } : i)));
  });
  if (operation.body) {
    if (message.body === undefined) {
      if (operation.body.required) errors.push({ path: '/body', message: 'Required: this operation takes a JSON body' });
    } else errors.push(...check(api, operation.body.pointer, message.body, '/body'));
  } else if (message.body !== undefined && method !== 'GET') {
    errors.push({ path: '/body', message: `${operation.id} takes no body` });
  }
  return { ...base, valid: errors.length === 0, ...(operation.body && { schema: operation.body.pointer }), errors };
};

const infoOf = (o: Operation): MethodInfo => ({
  name: o.id,
  kind: 'request',
  direction: 'clientToServer',
  route: `${o.method} ${o.template}`,
  ...(o.summary && { summary: o.summary }),
});

export const restCatalog = (loadDocument: () => Promise<Json>): ProtocolCatalog => {
  let api: Promise<RestApi> | undefined;
  const load = () => (api ??= loadDocument().then(restApiOf));
  const byName = async (name: string): Promise<Operation | undefined> => {
    const a = await load();
    const direct = a.byId.get(name);
    if (direct) return direct;
    // `POST /v1/agents` names an operation as well as its id does.
    const m = /^([A-Za-z]+)\s+(\/\S*)$/.exec(name);
    return m ? a.operations.find((o) => o.method === m[1]!.toUpperCase() && o.template === m[2]) : undefined;
  };
  return {
    id: 'rest',
    name: 'Multimodal LLM Stack REST API',
    versions: async (): Promise<ProtocolVersion[]> => {
      const a = await load();
      const info = a.document.info as Json | undefined;
      return [
        {
          version: REST_VERSION,
          source: `openapi ${String(a.document.openapi)} (${String(info?.title)} ${String(info?.version)})`,
          methods: a.operations.map(infoOf),
        },
      ];
    },
    method: async (version, name) => {
      if (version !== REST_VERSION) return undefined;
      const o = await byName(name);
      if (!o) return undefined;
      const a = await load();
      const out: MethodSchemas = infoOf(o);
      const properties: Record<string, unknown> = {};
      const required: string[] = [];
      for (const where of ['path', 'query', 'header'] as const) {
        const ps = o.parameters.filter((p) => p.in === where);
        if (ps.length === 0) continue;
        const key = where === 'header' ? 'headers' : where;
        properties[key] = {
          type: 'object',
          properties: Object.fromEntries(ps.map((p) => [p.name, p.schema ?? {}])),
          required: ps.filter((p) => p.required).map((p) => p.name),
        };
        if (ps.some((p) => p.required)) required.push(key);
      }
      if (o.body) {
        properties.body = standalone(a, o.body.pointer);
        if (o.body.required) required.push('body');
      }
      out.params = { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', properties, required };
      const success = Object.keys(o.responses)
        .filter((s) => /^2/.test(s))
        .sort()[0];
      const pointer = success ? o.responses[success]?.pointer : undefined;
      if (pointer) out.result = standalone(a, pointer);
      return out;
    },
    validate: async ({ message }: ValidateInput) => validateRestMessage(await load(), message),
  };
};
