/**
 * MCP Streamable HTTP on Lambda: an API Gateway proxy event in, a proxy result out, the official SDK in
 * between. Stateless and JSON-only, because a Lambda behind API Gateway can neither hold a session nor stream:
 * - 2026-07-28 requests (the per-request `_meta` envelope) go to the SDK's `createMcpHandler` with
 *   `responseMode: 'json'`;
 * - 2025-era requests (`initialize` and the rest of the 2025-11-25 revision) get a fresh server on a
 *   per-request `WebStandardStreamableHTTPServerTransport` with no session id and JSON responses, routed by
 *   the SDK's own `isLegacyRequest`, so the two legs can never disagree about a request.
 * JSON-RPC batches are refused (neither revision has them); everything else, malformed JSON included, is
 * answered by the SDK as the protocol says.
 */
import {
  createMcpHandler,
  isLegacyRequest,
  WebStandardStreamableHTTPServerTransport,
  type AuthInfo,
  type McpServer,
} from '@modelcontextprotocol/server';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { Principal } from '#shared/principal.ts';

export interface McpHttpResponse {
  status: number;
  /** The JSON body as text ('' for 202 and empty answers). */
  body: string;
  contentType: string | undefined;
}

/** The SDK's own bound for a body it reads; API Gateway's stack refuses bigger ones before (413). */
export const MAX_MCP_BODY_BYTES = 256 * 1024;

const jsonRpcError = (status: number, code: number, message: string): McpHttpResponse => ({
  status,
  body: JSON.stringify({ jsonrpc: '2.0', id: null, error: { code, message } }),
  contentType: 'application/json',
});

/** The request as a web `Request`, on the URL the client used. */
export const toWebRequest = (event: APIGatewayProxyEvent, bodyText: string | undefined): Request => {
  const headers = new Headers();
  for (const [name, values] of Object.entries(event.multiValueHeaders ?? {})) for (const value of values ?? []) headers.append(name, value);
  for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined && !headers.has(name)) headers.set(name, value);
  const host = headers.get('host') ?? 'localhost';
  const proto = headers.get('x-forwarded-proto') ?? 'https';
  const url = new URL(event.path, `${proto}://${host}`);
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) if (value !== undefined) url.searchParams.set(name, value);
  return new Request(url, { method: event.httpMethod, headers, ...(bodyText !== undefined && { body: bodyText }) });
};

const bodyTextOf = (event: APIGatewayProxyEvent): string | undefined => {
  if (event.body == null) return undefined;
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
};

/** The principal travels to the per-request server factory as the SDK's pass-through auth info. */
const authInfoOf = (principal: Principal): AuthInfo => ({
  // The credential itself never reaches the MCP layer; nothing there needs it.
  token: '',
  clientId: principal.userId,
  scopes: [...principal.roles],
  extra: { principal },
});

const principalOf = (authInfo: AuthInfo | undefined): Principal => {
  const principal = authInfo?.extra?.principal as Principal | undefined;
  if (!principal) throw new Error('MCP request without a principal');
  return principal;
};

export interface McpEndpoint {
  serve(principal: Principal, event: APIGatewayProxyEvent): Promise<McpHttpResponse>;
}

/**
 * One endpoint per cold start; `buildServer` makes the server for one request's principal (no I/O, so a
 * server per request costs registration only).
 */
export const createMcpEndpoint = (buildServer: (principal: Principal) => McpServer, onError: (error: Error) => void): McpEndpoint => {
  const modern = createMcpHandler((ctx) => buildServer(principalOf(ctx.authInfo)), {
    legacy: 'reject',
    responseMode: 'json',
    maxRequestBodySize: MAX_MCP_BODY_BYTES,
    onerror: onError,
  });

  const legacy = async (request: Request, authInfo: AuthInfo, parsedBody: unknown): Promise<Response> => {
    const server = buildServer(principalOf(authInfo));
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
      maxRequestBodySize: MAX_MCP_BODY_BYTES,
    });
    await server.connect(transport);
    try {
      return await transport.handleRequest(request, { authInfo, ...(parsedBody !== undefined && { parsedBody }) });
    } finally {
      await transport.close().catch(() => undefined);
      await server.close().catch(() => undefined);
    }
  };

  return {
    serve: async (principal, event) => {
      const text = bodyTextOf(event);
      let parsedBody: unknown;
      try {
        parsedBody = text === undefined || text === '' ? undefined : JSON.parse(text);
      } catch {
        // Left to the SDK, which answers -32700 as each revision wants.
      }
      if (Array.isArray(parsedBody)) {
        return jsonRpcError(400, -32600, 'Invalid Request: JSON-RPC batches are not supported; send one message per request');
      }
      const request = toWebRequest(event, text);
      const authInfo = authInfoOf(principal);
      // Without a parsed body (empty or not JSON) the predicate reads its own clone of the request.
      const isLegacy = parsedBody === undefined ? await isLegacyRequest(request) : await isLegacyRequest(request, parsedBody);
      const response = isLegacy
        ? await legacy(request, authInfo, parsedBody)
        : await modern.fetch(request, { authInfo, ...(parsedBody !== undefined && { parsedBody }) });
      return { status: response.status, body: await response.text(), contentType: response.headers.get('content-type') ?? undefined };
    },
  };
};
