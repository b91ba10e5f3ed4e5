/**
 * `http_request`: GET or POST to a host an operator put on the allow-list (`HTTP_TOOL_ALLOWED_HOSTS`); with
 * an empty list the tool answers that it is disabled. Private, loopback and link-local addresses are refused
 * even for allowed names (an allowed name can resolve anywhere), unless `allowPrivateNetworks` is set (tests,
 * or an operator who means it). The request goes through the shared outbound client (#shared/outbound-http.ts),
 * whose address check runs inside the socket's own DNS lookup, so the address checked is the address connected
 * to (no window for DNS rebinding). Redirects are not followed: the 3xx comes back with its `location`, and a
 * request there goes through the same checks.
 */
import { isIP } from 'node:net';
import * as z from 'zod';
import { isPrivateAddress, OutboundRefusedError, type OutboundResponse, OutboundTimeoutError, outboundRequest } from '#shared/outbound-http.ts';
import { ToolDisabledError, ToolError, ToolRefusedError } from './tool.errors.ts';
import { defineTool } from './tool.types.ts';

export interface HttpToolConfig {
  /** Host names (`api.example.com`), `host:port`, or `*.example.com` for any subdomain. Empty: tool disabled. */
  allowedHosts: readonly string[];
  allowPrivateNetworks?: boolean;
  timeoutMs?: number;
  maxResponseBytes?: number;
}

export const DEFAULT_HTTP_TIMEOUT_MS = 10_000;
export const DEFAULT_HTTP_MAX_RESPONSE_BYTES = 64 * 1024;

// The address rules are shared with the other outbound callers (n8n instances, alert webhooks).
export { isPrivateAddress };

/** Reads `HTTP_TOOL_ALLOWED_HOSTS` (comma-separated) and `HTTP_TOOL_ALLOW_PRIVATE_NETWORKS=true`. */
export const httpToolConfigFromEnv = (env: NodeJS.ProcessEnv = process.env): HttpToolConfig => ({
  allowedHosts: (env.HTTP_TOOL_ALLOWED_HOSTS ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean),
  allowPrivateNetworks: env.HTTP_TOOL_ALLOW_PRIVATE_NETWORKS === 'true',
});

const isAllowedHost = (url: URL, allowedHosts: readonly string[]): boolean =>
  allowedHosts.some((entry) => {
    const e = entry.toLowerCase();
    if (e.startsWith('*.')) return url.hostname.endsWith(e.slice(1));
    return e === url.hostname || e === url.host;
  });

// Headers the tool sets itself or that would let a caller smuggle a different request.
const droppedHeaders = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'keep-alive', 'expect']);
const returnedHeaders = ['content-type', 'content-length', 'location', 'retry-after', 'last-modified', 'etag', 'cache-control'];

const input = z.object({
  method: z.enum(['GET', 'POST']).default('GET'),
  url: z
    .url({ protocol: /^https?$/ })
    .max(2048)
    .describe('Absolute http(s) URL on an allowed host.'),
  headers: z.record(z.string().max(256), z.string().max(4096)).optional().describe('Request headers.'),
  body: z
    .string()
    .max(64 * 1024)
    .optional()
    .describe('Request body (POST only), sent as given.'),
});

export const createHttpRequestTool = (config: HttpToolConfig) => {
  const timeoutMs = config.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
  const maxResponseBytes = config.maxResponseBytes ?? DEFAULT_HTTP_MAX_RESPONSE_BYTES;
  const allowPrivate = config.allowPrivateNetworks === true;
  const hosts = config.allowedHosts.length > 0 ? config.allowedHosts.join(', ') : 'none (the tool is disabled)';

  return defineTool({
    name: 'http_request',
    description:
      `Sends an HTTP GET or POST and returns the status, a few headers and the body as text (at most ${maxResponseBytes} bytes; ` +
      `longer bodies are cut and marked truncated). Only these hosts are allowed: ${hosts}. Redirects are not followed.`,
    input,
    timeoutMs: timeoutMs + 1_000,
    run: async (args, ctx) => {
      if (config.allowedHosts.length === 0) {
        throw new ToolDisabledError('http_request is disabled: no hosts are allowed (an operator sets HTTP_TOOL_ALLOWED_HOSTS).');
      }
      const url = new URL(args.url);
      if (url.username || url.password) throw new ToolRefusedError('URLs with credentials are refused; send an Authorization header instead.');
      if (!isAllowedHost(url, config.allowedHosts)) {
        throw new ToolRefusedError(`${url.host} is not an allowed host. Allowed hosts: ${hosts}.`);
      }
      const literal = url.hostname.replace(/^\[|\]$/g, '');
      if (isIP(literal) !== 0 && !allowPrivate && isPrivateAddress(literal)) {
        throw new ToolRefusedError(`${literal} is a private or local address; refused.`);
      }
      if (args.method === 'GET' && args.body !== undefined) throw new ToolRefusedError('A GET request cannot carry a body; use POST.');

      const headers: Record<string, string> = { 'user-agent': 'mls-agent-http-tool' };
      for (const [name, value] of Object.entries(args.headers ?? {})) {
        if (!droppedHeaders.has(name.toLowerCase()) && !name.toLowerCase().startsWith('proxy-')) headers[name.toLowerCase()] = value;
      }
      const body = args.body === undefined ? undefined : Buffer.from(args.body, 'utf8');

      let response: OutboundResponse;
      try {
        response = await outboundRequest(url, {
          method: args.method,
          headers,
          ...(body ? { body } : {}),
          timeoutMs,
          maxResponseBytes,
          policy: { allowPrivateNetworks: allowPrivate },
          signal: ctx.signal,
        });
      } catch (error) {
        throw translate(error, url, timeoutMs);
      }
      const picked: Record<string, string> = {};
      for (const name of returnedHeaders) {
        const value = response.headers[name];
        if (typeof value === 'string') picked[name] = value;
      }
      return {
        url: url.toString(),
        status: response.status,
        headers: picked,
        body: new TextDecoder('utf-8').decode(response.body),
        bodyBytes: response.body.byteLength,
        truncated: response.truncated,
      };
    },
  });
};

/** The shared client's failures, as the error results the model reads. */
const translate = (error: unknown, url: URL, timeoutMs: number): unknown => {
  if (error instanceof ToolError) return error;
  if (error instanceof OutboundRefusedError) return new ToolRefusedError(`${error.message}; refused.`);
  if (error instanceof OutboundTimeoutError) return new ToolError('timeout', `${url.host} did not answer within ${timeoutMs} ms.`);
  const code = (error as NodeJS.ErrnoException).code;
  const reason = code ?? (error instanceof Error ? error.message : String(error));
  return new ToolError('upstream_error', `The request to ${url.host} failed (${reason}).`, { cause: error });
};
