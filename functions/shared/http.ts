/**
 * The HTTP stack every REST handler uses: `export const handler = httpHandler(route, useCase)`.
 *
 * The base middy stack (Powertools logger with API Gateway's request id as correlation id, tracer, metrics);
 * CORS; then, in order: principal (401), the tenant's rate limits (429, see rate-limit.ts), role check from
 * `route.roles` (403), body size limit (413), JSON parsing (400), strings PostgreSQL can't store (NUL, lone
 * surrogates: 400), zod validation of params, query, the route's declared headers and body (400 naming each
 * bad field). Every error leaves through `toProblem` as RFC 9457 application/problem+json.
 */
import httpCors from '@middy/http-cors';
import type middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { z } from 'zod';
import { isAudited, type HttpRoute } from './manifest.types.ts';
import {
  BadRequestError,
  fieldErrorsOf,
  ForbiddenError,
  PayloadTooLargeError,
  TooManyRequestsError,
  UnsupportedMediaTypeError,
  ValidationError,
  toProblem,
  type FieldError,
} from './errors.ts';
import { headerOf } from './headers.ts';
import { MAX_JSON_DEPTH, tooDeep } from './json.ts';
import { baseHandler, logger, metrics, MetricUnit } from './observability.ts';
import { principalFrom, type Principal } from './principal.ts';
import type { LimitRule, LimitState } from './rate-limit.ts';
import { cors, settings } from './resources.ts';
import { unsafeStrings } from './stored-json.ts';

/** Request bodies above this answer 413 (API Gateway itself allows 10 MB). */
export const MAX_BODY_BYTES = 256 * 1024;

type Output<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface HttpRequest<R extends HttpRoute> {
  body: R extends { request: { body: infer S } } ? Output<S> : undefined;
  query: R extends { request: { query: infer S } } ? Output<S> : undefined;
  params: R extends { request: { params: infer S } } ? Output<S> : undefined;
  /** The headers the route declares (lower-case names), validated; other headers stay on `event`. */
  headers: R extends { request: { headers: infer S } } ? Output<S> : undefined;
  principal: R extends { auth: 'none' } ? undefined : Principal;
  event: APIGatewayProxyEvent;
}

export interface HttpResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export const ok = (body: unknown): HttpResult => ({ status: 200, body });
export const created = (body: unknown): HttpResult => ({ status: 201, body });
export const noContent = (): HttpResult => ({ status: 204 });

export type UseCase<R extends HttpRoute> = (request: HttpRequest<R>) => Promise<HttpResult> | HttpResult;

const json = (status: number, body: unknown, contentType = 'application/json', headers: Record<string, string> = {}): APIGatewayProxyResult => ({
  statusCode: status,
  headers: { 'Content-Type': contentType, ...headers },
  body: body === undefined ? '' : JSON.stringify(body),
});

/**
 * zod's strings take NUL and lone surrogates, which PostgreSQL refuses (a 500 at the first write), so every
 * string of the input is looked at first, whatever the schema says, and refused naming its field.
 */
type Part = 'body' | 'query' | 'params' | 'headers';

const validate = (where: Part, schema: z.ZodType | undefined, value: unknown, errors: FieldError[]): unknown => {
  if (!schema) return undefined;
  const unsafe = unsafeStrings(value, [where]);
  if (unsafe.length > 0) {
    errors.push(...unsafe);
    return undefined;
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  errors.push(...fieldErrorsOf(result.error, [where], where));
  return undefined;
};

const bodyBytes = (event: APIGatewayProxyEvent): number =>
  event.body == null ? 0 : event.isBase64Encoded ? Math.floor((event.body.length * 3) / 4) : Buffer.byteLength(event.body, 'utf8');

const parseBody = (event: APIGatewayProxyEvent): unknown => {
  if (event.body == null || event.body === '') return undefined;
  const contentType = headerOf(event.headers, 'content-type');
  if (contentType !== undefined && !/^application\/([\w.+-]*\+)?json\b/i.test(contentType.trim())) {
    throw new UnsupportedMediaTypeError(`Send the body as application/json, not ${contentType.split(';')[0]}`);
  }
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (tooDeep(text)) {
    throw new BadRequestError(`The request body nests deeper than ${MAX_JSON_DEPTH} levels`, [
      { path: 'body', message: `Arrays and objects may nest at most ${MAX_JSON_DEPTH} levels deep` },
    ]);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof SyntaxError ? error.message : 'not JSON';
    throw new BadRequestError('The request body is not valid JSON', [{ path: 'body', message: reason }]);
  }
};

/** Turns every error into a problem response, in one place; 5xx causes are logged, never returned. */
const problemErrors = (): middy.MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> => ({
  onError: (request) => {
    const { problem, expose } = toProblem(request.error);
    if (expose) logger.info('Request rejected', { status: problem.status, detail: problem.detail });
    else logger.error('Unhandled error', request.error as Error);
    request.response = json(problem.status, problem, 'application/problem+json');
  },
});

/** One status-class count per request: useful, and keeps Powertools from warning about empty metrics. */
const statusMetric = (): middy.MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> => {
  // Literal names: the infra test reads the emitted metrics off the code (test/infra/operations.test.ts).
  const record = (status: number | undefined): void => {
    if (status === undefined || status >= 500) metrics.addMetric('ServerError', MetricUnit.Count, 1);
    else if (status >= 400) metrics.addMetric('ClientError', MetricUnit.Count, 1);
    else metrics.addMetric('Success', MetricUnit.Count, 1);
  };
  return {
    after: (request) => record(request.response?.statusCode),
    onError: (request) => record(request.response?.statusCode),
  };
};

/**
 * One audit entry per mutating call (audit.ts decides which routes and what is kept), after the response is
 * known: in `after` for answers and in `onError` for problems (problemErrors' onError, which runs first, has
 * built the problem response by then). Awaited, so a frozen Lambda container does not lose it.
 */
const auditTrail = (route: HttpRoute): middy.MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> => {
  // Loaded only by audited routes (PostgreSQL and EventBridge clients): a GET function never evaluates them.
  const audit = import('./audit.ts');
  const record = async (request: middy.Request<APIGatewayProxyEvent, APIGatewayProxyResult>): Promise<void> => {
    const status = request.response?.statusCode ?? 500;
    let principal: Principal | undefined;
    try {
      principal = principalFrom(request.event.requestContext?.authorizer);
    } catch {
      return;
    }
    const { auditEntryOf, recordAudit } = await audit;
    const entry = auditEntryOf(route, request.event, principal, status, request.response?.body);
    if (entry) await recordAudit(entry);
  };
  return { after: record, onError: record };
};

/**
 * Counts the request against the caller's tenant (and the route's own limit, if it has one) before anything
 * else is looked at, so even rejected requests use up the budget. `RateLimit-*` headers (the IETF httpapi
 * draft's widely used form: limit, remaining, seconds to reset) go on every counted response, the tightest
 * limit reported; over a limit the answer is 429 with `Retry-After`. Unauthenticated routes are not counted.
 */
const rateLimiting = (route: HttpRoute): middy.MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> => {
  // The limiter (and its DynamoDB client) only where requests are counted: health and the OpenAPI document never load it.
  const limits = route.auth === 'none' ? undefined : import('./rate-limit.ts');
  const routeRule: LimitRule | undefined = route.rateLimit && {
    scope: `route:${route.method} ${route.path}`,
    perMinute: route.rateLimit.perMinute,
    label: `for ${route.method} ${route.path}`,
  };
  // Per request (the local runtime serves requests of one handler concurrently), so kept on middy's request.
  const stash = (request: middy.Request<APIGatewayProxyEvent, APIGatewayProxyResult>) =>
    request.internal as { rateLimitHeaders?: Record<string, string> };
  const addHeaders = (request: middy.Request<APIGatewayProxyEvent, APIGatewayProxyResult>): void => {
    const headers = stash(request).rateLimitHeaders;
    if (headers && request.response) request.response.headers = { ...request.response.headers, ...headers };
  };
  return {
    before: async (request) => {
      if (route.auth === 'none') return;
      const { rateLimiterFromEnv, perMinuteFromEnv } = await limits!;
      const limiter = rateLimiterFromEnv();
      if (!limiter) return;
      const { tenantId } = principalFrom(request.event.requestContext?.authorizer);
      const rules: LimitRule[] = [{ scope: 'tenant', perMinute: perMinuteFromEnv(), label: 'for this tenant' }, ...(routeRule ? [routeRule] : [])];
      const states = await limiter.hit(tenantId, rules);
      if (!states) return;
      const exceeded = states.find((s) => s.exceeded);
      const shown: LimitState = exceeded ?? states.reduce((a, b) => (b.remaining < a.remaining ? b : a));
      stash(request).rateLimitHeaders = {
        'RateLimit-Limit': String(shown.rule.perMinute),
        'RateLimit-Remaining': String(shown.remaining),
        'RateLimit-Reset': String(shown.resetSeconds),
        ...(exceeded ? { 'Retry-After': String(shown.resetSeconds) } : {}),
      };
      if (exceeded) {
        throw new TooManyRequestsError(
          `Rate limit of ${exceeded.rule.perMinute} requests per minute ${exceeded.rule.label} exceeded; retry in ${exceeded.resetSeconds} s`,
        );
      }
    },
    after: addHeaders,
    onError: addHeaders,
  };
};

const corsOrigins = (process.env[settings.corsAllowedOrigins.env] || '*')
  .split(',')
  .map((o) => o.trim())
  .filter(Boolean);

/** The headers a route declares, by their lower-case names (HTTP header names are case-insensitive). */
const declaredHeaders = (route: HttpRoute, event: APIGatewayProxyEvent): Record<string, string> | undefined => {
  const schema = route.request?.headers as z.ZodObject | undefined;
  if (!schema) return undefined;
  const out: Record<string, string> = {};
  for (const name of Object.keys(schema.shape)) {
    const value = headerOf(event.headers, name);
    if (value !== undefined) out[name] = value;
  }
  return out;
};

export const httpHandler = <R extends HttpRoute>(route: R, useCase: UseCase<R>) => {
  const core = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    const principal = route.auth === 'none' ? undefined : principalFrom(event.requestContext?.authorizer);
    if (principal && route.roles && !route.roles.some((role) => principal.roles.includes(role))) {
      throw new ForbiddenError(`This route needs one of the roles: ${route.roles.join(', ')}`);
    }
    if (bodyBytes(event) > MAX_BODY_BYTES) {
      throw new PayloadTooLargeError(`The request body is larger than ${MAX_BODY_BYTES} bytes`);
    }
    const errors: FieldError[] = [];
    const params = validate('params', route.request?.params, event.pathParameters ?? {}, errors);
    const query = validate('query', route.request?.query, event.queryStringParameters ?? {}, errors);
    const headers = validate('headers', route.request?.headers, declaredHeaders(route, event), errors);
    const body = route.request?.body ? validate('body', route.request.body, parseBody(event), errors) : undefined;
    if (errors.length > 0) throw new ValidationError(`${errors.length} invalid field(s): ${errors.map((e) => e.path).join(', ')}`, errors);

    const result = await useCase({ body, query, params, headers, principal, event } as HttpRequest<R>);
    return json(result.status, result.body, 'application/json', result.headers);
  };

  const stack = baseHandler<APIGatewayProxyEvent, APIGatewayProxyResult>({ correlationId: (event) => event.requestContext?.requestId })
    .use(httpCors({ origins: corsOrigins, headers: cors.allowHeaders.join(','), exposeHeaders: cors.exposeHeaders.join(','), methods: route.method }))
    .use(statusMetric());
  // Before problemErrors and rateLimiting: their onError (which run first) have built the answer it records.
  if (isAudited(route)) stack.use(auditTrail(route));
  return (
    stack
      // Before problemErrors: its onError (which runs first) builds the 429 this one then adds headers to.
      .use(rateLimiting(route))
      .use(problemErrors())
      .handler(core)
  );
};
