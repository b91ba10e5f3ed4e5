/**
 * REST fuzzing, driven by the OpenAPI document: every operation becomes an arbitrary of requests that are
 * valid but for one hostile change (a path id, a query parameter, a header, a body field, the whole body,
 * the credentials), sent byte for byte as written (node:http, no URL normalization), and judged by one
 * property: never a 5xx, and every 4xx is application/problem+json that names the problem, no stack trace.
 */
import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { encode, hostileBody, hostileHeaders, hostilePathSegment, hostileQuery, hostileString, hostileValue, prototypeKeys } from './hostile.ts';
import { type JsonSchema, type SchemaContext, validValue } from './schema-arbitrary.ts';

export interface Operation {
  method: string;
  /** OpenAPI path template, e.g. `/v1/agents/{agentId}`. */
  path: string;
  pathParams: Array<{ name: string; schema: JsonSchema }>;
  queryParams: Array<{ name: string; schema: JsonSchema; required: boolean }>;
  headerParams: Array<{ name: string; schema: JsonSchema }>;
  body?: JsonSchema;
  auth: boolean;
}

export interface RestCase {
  /** What was changed, for the failure message. */
  mutation: string;
  method: string;
  /** Raw request target: path (percent-encoded as sent) and query. */
  target: string;
  headers: Record<string, string>;
  body?: string;
}

export interface RestAnswer {
  status: number;
  contentType: string;
  text: string;
}

type Doc = { paths: Record<string, Record<string, Record<string, unknown>>>; components?: { schemas?: Record<string, JsonSchema> } };

export const operationsOf = (doc: Doc): Operation[] =>
  Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => {
      const parameters = (op.parameters ?? []) as Array<{ name: string; in: string; schema: JsonSchema; required?: boolean }>;
      const body = (op.requestBody as { content?: Record<string, { schema: JsonSchema }> } | undefined)?.content?.['application/json']?.schema;
      return {
        method: method.toUpperCase(),
        path,
        pathParams: parameters.filter((p) => p.in === 'path'),
        queryParams: parameters.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: p.schema, required: p.required === true })),
        headerParams: parameters.filter((p) => p.in === 'header'),
        ...(body ? { body } : {}),
        auth: Array.isArray(op.security) ? (op.security as unknown[]).length > 0 : true,
      };
    }),
  );

export const schemaContext = (doc: Doc): SchemaContext => ({ components: doc.components?.schemas ?? {} });

interface Credentials {
  /** Headers of a principal that may call every route (a platform admin). */
  valid: Record<string, string>;
  /** Ids of another tenant's resources, by path parameter name: requests naming them must answer 404. */
  foreignIds: Record<string, string[]>;
}

const toQuery = (values: Record<string, unknown>): string =>
  Object.entries(values)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${encode(k)}=${encode(typeof v === 'string' ? v : (JSON.stringify(v) ?? ''))}`)
    .join('&');

/** Requests of `op` with exactly one hostile change each (or, one in five, the valid request itself). */
export const requestsOf = (op: Operation, ctx: SchemaContext, credentials: Credentials): fc.Arbitrary<RestCase> => {
  const pathValues = fc.record(Object.fromEntries(op.pathParams.map((p) => [p.name, validValue(p.schema, ctx).map(String)])));
  const queryValues = fc.record(Object.fromEntries(op.queryParams.map((p) => [p.name, validValue(p.schema, ctx)])), {
    requiredKeys: op.queryParams.filter((p) => p.required).map((p) => p.name),
  });
  const bodyValue = op.body ? validValue(op.body, ctx) : fc.constant(undefined);
  const base = fc.record({ path: pathValues, query: queryValues, body: bodyValue });

  const build = (
    mutation: string,
    parts: {
      path: Record<string, string>;
      rawPath?: Record<string, string>;
      query: string;
      headers?: Record<string, string>;
      body?: string;
      contentType?: string;
      auth?: Record<string, string>;
    },
  ): RestCase => {
    const target =
      op.path.replace(/\{(\w+)\}/g, (_, name: string) => parts.rawPath?.[name] ?? encode(parts.path[name] ?? 'x')) +
      (parts.query ? `?${parts.query}` : '');
    const headers: Record<string, string> = { ...(parts.auth ?? credentials.valid), ...(parts.headers ?? {}) };
    if (parts.body !== undefined) headers['content-type'] = parts.contentType ?? 'application/json';
    return { mutation, method: op.method, target, headers, ...(parts.body !== undefined ? { body: parts.body } : {}) };
  };
  const json = (v: unknown) => (v === undefined ? undefined : JSON.stringify(v));

  const mutations: Array<fc.Arbitrary<RestCase>> = [
    base.map((b) => build('none (valid request)', { path: b.path, query: toQuery(b.query), body: json(b.body) })),
    fc
      .tuple(
        base,
        fc.constantFrom<'none' | 'garbage-bearer' | 'garbage-key' | 'token-in-url'>('none', 'garbage-bearer', 'garbage-key', 'token-in-url'),
      )
      .map(([b, mode]) => {
        const auth: Record<string, string> =
          mode === 'garbage-bearer'
            ? { authorization: 'Bearer eyJhbGciOiJub25lIn0.e30.' }
            : mode === 'garbage-key'
              ? { 'x-api-key': 'mls_nope' }
              : {};
        const query = [
          toQuery(b.query),
          mode === 'token-in-url' ? `token=${encodeURIComponent(credentials.valid.authorization?.slice(7) ?? '')}` : '',
        ]
          .filter(Boolean)
          .join('&');
        return build(`credentials: ${mode}`, { path: b.path, query, body: json(b.body), auth });
      }),
    fc
      .tuple(base, fc.constantFrom(...prototypeKeys), fc.constantFrom('x', '1', ''))
      .map(([b, k, v]) => build(`extra header ${k}`, { path: b.path, query: toQuery(b.query), body: json(b.body), headers: { [k]: v } })),
    fc
      .tuple(base, hostileHeaders)
      .map(([b, h]) => build(`headers ${JSON.stringify(Object.keys(h))}`, { path: b.path, query: toQuery(b.query), body: json(b.body), headers: h })),
    fc
      .tuple(base, hostileQuery)
      .map(([b, q]) =>
        build(`query ${q.slice(0, 60)}`, { path: b.path, query: [toQuery(b.query), q].filter(Boolean).join('&'), body: json(b.body) }),
      ),
  ];
  if (op.queryParams.length > 0) {
    mutations.push(
      fc
        .tuple(
          base,
          fc.constantFrom(...op.queryParams.map((p) => p.name)),
          fc.oneof(
            hostileString,
            hostileValue.map((v) => JSON.stringify(v) ?? ''),
          ),
        )
        .map(([b, name, value]) => build(`query ${name}`, { path: b.path, query: toQuery({ ...b.query, [name]: value }), body: json(b.body) })),
    );
  }
  if (op.headerParams.length > 0) {
    mutations.push(
      fc
        .tuple(
          base,
          fc.constantFrom(...op.headerParams.map((p) => p.name)),
          hostileString.filter((s) => /^[\t\x20-\x7e]*$/.test(s) && s.length < 8_000),
        )
        .map(([b, name, value]) =>
          build(`header ${name}`, { path: b.path, query: toQuery(b.query), body: json(b.body), headers: { [name]: value } }),
        ),
    );
  }
  if (op.pathParams.length > 0) {
    const names = op.pathParams.map((p) => p.name);
    const foreign = names.flatMap((n) => (credentials.foreignIds[n] ?? []).map((id) => [n, id] as const));
    mutations.push(
      fc
        .tuple(base, fc.constantFrom(...names), hostilePathSegment)
        .map(([b, name, segment]) =>
          build(`path ${name}=${segment.slice(0, 40)}`, { path: b.path, rawPath: { [name]: segment }, query: toQuery(b.query), body: json(b.body) }),
        ),
    );
    if (foreign.length > 0) {
      mutations.push(
        fc
          .tuple(base, fc.constantFrom(...foreign))
          .map(([b, [name, id]]) =>
            build(`another tenant's ${name}`, { path: { ...b.path, [name]: id }, query: toQuery(b.query), body: json(b.body) }),
          ),
      );
    }
  }
  if (op.body) {
    const body = op.body;
    mutations.push(
      fc.tuple(base, hostileBody).map(([b, h]) =>
        build(`body ${h.body.slice(0, 40)}`, {
          path: b.path,
          query: toQuery(b.query),
          body: h.body,
          ...(h.contentType ? { contentType: h.contentType } : {}),
        }),
      ),
      fc
        .tuple(base, hostileValue)
        .map(([b, v]) => build('body replaced by a value', { path: b.path, query: toQuery(b.query), body: JSON.stringify(v) ?? 'null' })),
    );
    const fields = Object.keys(
      ((body.$ref ? ctx.components[String(body.$ref).replace('#/components/schemas/', '')] : body)?.properties ?? {}) as Record<string, unknown>,
    );
    if (fields.length > 0) {
      mutations.push(
        fc.tuple(base, fc.constantFrom(...fields), hostileValue).map(([b, field, v]) =>
          build(`body.${field} = ${JSON.stringify(v)?.slice(0, 40)}`, {
            path: b.path,
            query: toQuery(b.query),
            body: JSON.stringify({ ...(b.body as object), [field]: v }),
          }),
        ),
        fc.tuple(base, fc.constantFrom(...fields)).map(([b, field]) => {
          const { [field]: _, ...rest } = (b.body ?? {}) as Record<string, unknown>;
          return build(`body without ${field}`, { path: b.path, query: toQuery(b.query), body: JSON.stringify(rest) });
        }),
      );
    }
    mutations.push(
      fc.tuple(base, fc.oneof(fc.constantFrom(...prototypeKeys), hostileString), hostileValue).map(([b, key, v]) => {
        // Built as text: `{...b, [key]: v}` with key `__proto__` would set the prototype, not add a field.
        const text = JSON.stringify(b.body ?? {});
        const extra = `${JSON.stringify(key)}:${JSON.stringify(v) ?? 'null'}`;
        return build(`extra body field ${JSON.stringify(key).slice(0, 30)}`, {
          path: b.path,
          query: toQuery(b.query),
          body: text === '{}' ? `{${extra}}` : text.startsWith('{') ? `{${extra},${text.slice(1)}` : text,
        });
      }),
    );
  }
  return fc.oneof(...mutations);
};

/** Sends the request exactly as built (no URL normalization, any header name Node accepts). */
export const send = (baseUrl: string, c: RestCase): Promise<RestAnswer> =>
  new Promise((resolve, reject) => {
    const url = new URL(baseUrl);
    const req = httpRequest({ host: url.hostname, port: url.port, method: c.method, path: c.target, headers: c.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', reject);
    if (c.body !== undefined) req.write(c.body);
    req.end();
  });

/** A JSON-RPC 2.0 error response that says what went wrong: how the MCP endpoint answers, as its protocol says. */
const isJsonRpcError = (text: string): boolean => {
  try {
    const body = JSON.parse(text) as { jsonrpc?: unknown; error?: { code?: unknown; message?: unknown } };
    return body.jsonrpc === '2.0' && Number.isInteger(body.error?.code) && typeof body.error?.message === 'string' && body.error.message !== '';
  } catch {
    return false;
  }
};

/**
 * What is wrong with an answer, or undefined when it keeps the promise (no 5xx; 4xx as problem+json, or for
 * a JSON-RPC endpoint as a JSON-RPC error, which is what its clients read).
 */
export const judge = (answer: RestAnswer, options: { jsonRpc?: boolean } = {}): string | undefined => {
  if (answer.status >= 500) return `answered ${answer.status}: ${answer.text.slice(0, 300)}`;
  if (answer.status < 400) return undefined;
  if (options.jsonRpc && /^application\/json/.test(answer.contentType) && isJsonRpcError(answer.text) && !/\n\s+at /.test(answer.text))
    return undefined;
  if (!/^application\/problem\+json/.test(answer.contentType))
    return `answered ${answer.status} as ${answer.contentType || 'no content type'}: ${answer.text.slice(0, 200)}`;
  let problem: { type?: unknown; title?: unknown; status?: unknown; detail?: unknown };
  try {
    problem = JSON.parse(answer.text) as typeof problem;
  } catch {
    return `answered ${answer.status} with a problem that is not JSON: ${answer.text.slice(0, 200)}`;
  }
  if (typeof problem.title !== 'string' || typeof problem.detail !== 'string' || problem.detail === '' || problem.status !== answer.status) {
    return `answered ${answer.status} with a problem that names nothing: ${answer.text.slice(0, 200)}`;
  }
  if (/\n\s+at /.test(answer.text)) return `answered ${answer.status} with a stack trace`;
  return undefined;
};
