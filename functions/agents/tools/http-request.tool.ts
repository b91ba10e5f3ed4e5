/**
 * `http_request`: GET or POST to a host an operator put on the allow-list (`HTTP_TOOL_ALLOWED_HOSTS`); with
 * an empty list the tool answers that it is disabled. Private, loopback and link-local addresses are refused
 * even for allowed names (an allowed name can resolve anywhere), unless `allowPrivateNetworks` is set (tests,
 * or an operator who means it). The address check runs inside the socket's own DNS lookup, so the address
 * checked is the address connected to (no window for DNS rebinding). Redirects are not followed: the 3xx
 * comes back with its `location`, and a request there goes through the same checks.
 */
import { lookup as dnsLookup } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { z } from 'zod';
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

/** Special-purpose ranges (RFC 6890 and friends) a tool must not reach by default. IPv4-mapped IPv6 matches the IPv4 rules. */
const privateRanges = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  privateRanges.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  // ::/96 also holds the deprecated IPv4-compatible form (::127.0.0.1); 2002::/16 (6to4) and 2001::/32 (Teredo)
  // tunnel to IPv4 hosts; fec0::/10 is the old site-local range.
  ['::', 96],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001::', 32],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const)
  privateRanges.addSubnet(net, prefix, 'ipv6');

export const isPrivateAddress = (address: string): boolean => {
  const family = isIP(address);
  if (family === 0) return true;
  return privateRanges.check(address, family === 4 ? 'ipv4' : 'ipv6');
};

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

  const guardedLookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const refused = allowPrivate ? undefined : addresses.find((a) => isPrivateAddress(a.address));
      if (refused) return callback(new ToolRefusedError(`${hostname} resolves to a private or local address (${refused.address}); refused.`), '', 0);
      if (options.all) return (callback as unknown as (e: null, all: typeof addresses) => void)(null, addresses);
      const first = addresses[0];
      if (!first) return callback(new ToolError('upstream_error', `${hostname} has no address.`), '', 0);
      return callback(null, first.address, first.family);
    });
  };

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
      if (body) headers['content-length'] = String(body.byteLength);

      const deadline = AbortSignal.timeout(timeoutMs);
      const signal = AbortSignal.any([ctx.signal, deadline]);
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;

      const response = await new Promise<IncomingMessage>((resolve, reject) => {
        const req = send(url, { method: args.method, headers, lookup: guardedLookup, signal }, resolve);
        req.on('error', reject);
        req.end(body);
      }).catch((error: unknown) => {
        throw translate(error, url, deadline, timeoutMs);
      });

      const chunks: Buffer[] = [];
      let received = 0;
      let truncated = false;
      try {
        for await (const chunk of response as AsyncIterable<Buffer>) {
          const room = maxResponseBytes - received;
          if (chunk.byteLength > room) {
            chunks.push(chunk.subarray(0, room));
            received += room;
            truncated = true;
            break;
          }
          chunks.push(chunk);
          received += chunk.byteLength;
        }
      } catch (error) {
        throw translate(error, url, deadline, timeoutMs);
      } finally {
        // Stops reading a body we cut short, and frees the socket.
        response.destroy();
      }

      const picked: Record<string, string> = {};
      for (const name of returnedHeaders) {
        const value = response.headers[name];
        if (typeof value === 'string') picked[name] = value;
      }
      return {
        url: url.toString(),
        status: response.statusCode ?? 0,
        headers: picked,
        body: new TextDecoder('utf-8').decode(Buffer.concat(chunks)),
        bodyBytes: received,
        truncated,
      };
    },
  });
};

const translate = (error: unknown, url: URL, deadline: AbortSignal, timeoutMs: number): unknown => {
  if (error instanceof ToolError) return error;
  if (deadline.aborted) return new ToolError('timeout', `${url.host} did not answer within ${timeoutMs} ms.`);
  const code = (error as NodeJS.ErrnoException).code;
  const reason = code ?? (error instanceof Error ? error.message : String(error));
  return new ToolError('upstream_error', `The request to ${url.host} failed (${reason}).`, { cause: error });
};
