/**
 * Local API Gateway REST API: turns HTTP requests into v1 REST proxy events for the functions of the
 * route manifest, runs the authorizer first (unless the route says `auth: 'none'`), and writes the
 * handler's proxy result back. Modelled on serverless-offline, kept to what the stack does.
 */
import { randomUUID } from 'node:crypto';
import { cors, oauthProtectedResource, settings } from '#shared/resources.ts';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { FunctionSpec, HttpRoute } from '#shared/manifest.types.ts';
import { runAuthorizer } from './authorizer.ts';
import { answerClientErrors, headerMaps, PayloadTooLargeError, queryMaps, readBody, requestTime, sendProblem, sourceIp } from './http-util.ts';
import { ACCOUNT_ID, type LocalLambdas } from './lambda.ts';

/** API Gateway's payload limit and integration timeout. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;
const INTEGRATION_TIMEOUT_MS = 29_000;
export const REST_API_ID = 'localrest';

/** What the stack's CORS preflight answers (lib/constructs/rest-api.construct.ts defaultCorsPreflightOptions). */
export const CORS_ALLOW_HEADERS = cors.allowHeaders;
const CORS_ALLOW_METHODS = 'OPTIONS,GET,PUT,POST,DELETE,PATCH,HEAD';

interface CompiledRoute {
  fn: FunctionSpec;
  route: HttpRoute;
  regex: RegExp;
  /** The template's literal start (up to its first parameter): a cheap test before the regex. */
  prefix: string;
  params: string[];
  /** Literal segments count: more specific templates win, as in API Gateway. */
  specificity: number;
}

function compile(fn: FunctionSpec, route: HttpRoute): CompiledRoute {
  const params: string[] = [];
  let specificity = 0;
  const pattern = route.path
    .split('/')
    .map((segment) => {
      const greedy = /^\{(\w+)\+\}$/.exec(segment);
      if (greedy) {
        params.push(greedy[1]!);
        return '(.+)';
      }
      const param = /^\{(\w+)\}$/.exec(segment);
      if (param) {
        params.push(param[1]!);
        return '([^/]+)';
      }
      specificity++;
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  const prefix = route.path.split('{')[0]!;
  return { fn, route, regex: new RegExp(`^${pattern}/?$`), prefix, params, specificity };
}

const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded|graphql)|application\/[\w.+-]+\+(json|xml))/i;

export interface RestGatewayOptions {
  functions: FunctionSpec[];
  authorizer: FunctionSpec;
  lambdas: LocalLambdas;
  stage: string;
  region: string;
  log: (line: string) => void;
  /** False until migrations ran and the environment is set: requests then get 503. */
  isReady?: () => boolean;
}

export function createRestGateway(options: RestGatewayOptions): Server {
  const { lambdas, stage, region, log } = options;
  const routes = options.functions
    .flatMap((fn) => (fn.http ?? []).map((route) => compile(fn, route)))
    .sort((a, b) => b.specificity - a.specificity || a.params.length - b.params.length);

  const corsHeaders = { 'access-control-allow-origin': '*' };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (options.isReady && !options.isReady()) {
      sendProblem(res, 503, 'Service Unavailable', 'The local runtime is still starting', { 'retry-after': '1' });
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    // The path as the client sent it, not URL's normalized pathname: WHATWG URL resolves `..`, `.` and their
    // encodings (`%2E%2E`), which turned `DELETE …/members/..` into `DELETE …/workspaces/{id}`. A dot
    // segment is just a value here; the handler's schema refuses it as an id.
    const rawPath = (req.url ?? '/').split('?')[0]!.replace(/^[a-z]+:\/\/[^/]*/i, '') || '/';
    const method = (req.method ?? 'GET').toUpperCase();
    const requestId = randomUUID();
    let pathName: string;
    let rawParams: (m: RegExpExecArray, names: string[]) => Record<string, string>;
    try {
      pathName = decodeURIComponent(rawPath);
      rawParams = (m, names) => Object.fromEntries(names.map((p, i) => [p, decodeURIComponent(m[i + 1]!)]));
    } catch {
      sendProblem(res, 400, 'Bad Request', 'The request path is not valid percent-encoding', corsHeaders);
      return;
    }
    const candidates: Array<{ r: CompiledRoute; m: RegExpExecArray | null }> = [];
    for (const r of routes) {
      if (!rawPath.startsWith(r.prefix)) continue;
      const m = r.regex.exec(rawPath);
      if (m) candidates.push({ r, m });
    }

    if (method === 'OPTIONS' && candidates.length > 0) {
      res.writeHead(204, {
        ...corsHeaders,
        'access-control-allow-methods': CORS_ALLOW_METHODS,
        'access-control-allow-headers': CORS_ALLOW_HEADERS.join(','),
        'access-control-max-age': '3600',
      });
      res.end();
      return;
    }
    if (candidates.length === 0) {
      sendProblem(res, 404, 'Not Found', `No route for ${method} ${pathName}`, corsHeaders);
      return;
    }
    const hit = candidates.find((c) => c.r.route.method === method);
    if (!hit) {
      const allow = [...new Set(candidates.map((c) => c.r.route.method))].join(', ');
      sendProblem(res, 405, 'Method Not Allowed', `${method} is not allowed on ${pathName}`, { ...corsHeaders, allow });
      return;
    }
    const { r, m } = hit;

    let raw: Buffer;
    try {
      raw = await readBody(req, MAX_BODY_BYTES);
    } catch (error) {
      if (error instanceof PayloadTooLargeError) {
        sendProblem(res, 413, 'Payload Too Large', 'The request body exceeds the 10 MB limit', { ...corsHeaders, connection: 'close' });
        return;
      }
      throw error;
    }
    const contentType = req.headers['content-type'] ?? '';
    const isText = raw.length === 0 || contentType === '' || TEXT_TYPES.test(contentType);
    const pathParameters = r.params.length ? rawParams(m!, r.params) : null;
    const now = new Date();
    const ip = sourceIp(req);
    const { headers, multiValueHeaders } = headerMaps(req);
    for (const [k, v] of Object.entries({
      'X-Forwarded-For': ip,
      'X-Forwarded-Proto': 'http',
      'X-Forwarded-Port': String(req.socket.localPort ?? ''),
    })) {
      if (!Object.keys(headers).some((h) => h.toLowerCase() === k.toLowerCase())) {
        headers[k] = v;
        multiValueHeaders[k] = [v];
      }
    }
    const methodArn = `arn:aws:execute-api:${region}:${ACCOUNT_ID}:${REST_API_ID}/${stage}/${method}${pathName}`;
    const requestContext: APIGatewayProxyEvent['requestContext'] = {
      accountId: ACCOUNT_ID,
      apiId: REST_API_ID,
      authorizer: undefined,
      domainName: req.headers.host ?? 'localhost',
      domainPrefix: (req.headers.host ?? 'localhost').split('.')[0]!,
      extendedRequestId: requestId,
      httpMethod: method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: ip,
        user: null,
        userAgent: req.headers['user-agent'] ?? null,
        userArn: null,
      },
      path: `/${stage}${pathName}`,
      protocol: `HTTP/${req.httpVersion}`,
      requestId,
      requestTime: requestTime(now),
      requestTimeEpoch: now.getTime(),
      resourceId: r.fn.name,
      resourcePath: r.route.path,
      stage,
    };
    const event: APIGatewayProxyEvent = {
      resource: r.route.path,
      path: pathName,
      httpMethod: method,
      headers,
      multiValueHeaders,
      ...queryMaps(url),
      pathParameters,
      stageVariables: null,
      requestContext,
      body: raw.length === 0 ? null : isText ? raw.toString('utf8') : raw.toString('base64'),
      isBase64Encoded: !isText,
    };

    if (r.route.auth !== 'none') {
      const { requestContext: _, body: __, isBase64Encoded: ___, ...rest } = event;
      const verdict = await runAuthorizer(lambdas, options.authorizer, {
        type: 'REQUEST',
        methodArn,
        ...rest,
        requestContext: { ...requestContext, authorizer: undefined },
      });
      if (verdict.effect === 'unauthorized') {
        // As the stack's UNAUTHORIZED gateway response: with an OIDC issuer, MCP clients learn where to get a token.
        const challenge: Record<string, string> = process.env[settings.oidcIssuer.env]
          ? { 'www-authenticate': oauthProtectedResource.challenge(`http://${req.headers.host ?? 'localhost'}`) }
          : {};
        sendProblem(res, 401, 'Unauthorized', 'Missing or invalid credentials', { ...corsHeaders, ...challenge });
        return;
      }
      if (verdict.effect === 'deny') {
        sendProblem(res, 403, 'Forbidden', 'The credentials do not allow this request', corsHeaders);
        return;
      }
      if (verdict.effect === 'error') {
        log(`authorizer failed on ${method} ${pathName}: ${String((verdict.error as Error)?.stack ?? verdict.error)}`);
        sendProblem(res, 500, 'Internal Server Error', 'The authorizer failed', corsHeaders);
        return;
      }
      requestContext.authorizer = verdict.authorizer;
    }

    let result: APIGatewayProxyResult;
    try {
      result = await lambdas.invoke<APIGatewayProxyResult>(r.fn, event, { timeoutMs: INTEGRATION_TIMEOUT_MS });
    } catch (error) {
      if (error instanceof Error && error.name === 'Sandbox.Timedout') {
        sendProblem(res, 504, 'Gateway Timeout', 'The function did not answer within 29 seconds', corsHeaders);
        return;
      }
      log(`${r.fn.name} failed on ${method} ${pathName}: ${String((error as Error)?.stack ?? error)}`);
      sendProblem(res, 502, 'Bad Gateway', 'The function failed', corsHeaders);
      return;
    }
    if (!result || typeof result !== 'object' || typeof result.statusCode !== 'number') {
      log(`${r.fn.name} returned a malformed proxy response on ${method} ${pathName}`);
      sendProblem(res, 502, 'Bad Gateway', 'Malformed Lambda proxy response', corsHeaders);
      return;
    }
    const out: Record<string, string | string[]> = { 'x-amzn-requestid': requestId };
    for (const [k, v] of Object.entries(result.multiValueHeaders ?? {})) out[k.toLowerCase()] = v.map(String);
    for (const [k, v] of Object.entries(result.headers ?? {})) out[k.toLowerCase()] = String(v);
    const body = result.body == null ? Buffer.alloc(0) : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
    if (!out['content-type'] && body.length > 0) out['content-type'] = 'application/json';
    out['content-length'] = String(body.length);
    res.writeHead(result.statusCode, out);
    res.end(body);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log(`gateway error: ${String((error as Error)?.stack ?? error)}`);
      sendProblem(res, 500, 'Internal Server Error', 'The local gateway failed');
    });
  });
  answerClientErrors(server);
  return server;
}
