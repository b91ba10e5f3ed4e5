/**
 * Outbound HTTP to addresses users name (the agents' `http_request` tool, n8n instances, alert webhooks):
 * the SSRF rules in one place. Private, loopback and link-local addresses are refused unless the caller's
 * policy allows private networks; the check runs inside the socket's own DNS lookup, so the address checked
 * is the address connected to (no window for DNS rebinding). Link-local addresses (169.254.0.0/16, where
 * cloud metadata services answer, and fe80::/10) stay refused even then when `alwaysRefuseLinkLocal` is set.
 * Redirects are never followed. Bodies are read up to a byte limit; a deadline bounds the whole exchange.
 */
import { lookup as dnsLookup } from 'node:dns';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/** Special-purpose ranges (RFC 6890 and friends) not reached by default. IPv4-mapped IPv6 matches the IPv4 rules. */
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

const linkLocal = new BlockList();
linkLocal.addSubnet('169.254.0.0', 16, 'ipv4');
linkLocal.addSubnet('fe80::', 10, 'ipv6');
// The IPv6 address of the EC2 instance metadata service.
linkLocal.addAddress('fd00:ec2::254', 'ipv6');

export const isPrivateAddress = (address: string): boolean => {
  const family = isIP(address);
  if (family === 0) return true;
  return privateRanges.check(address, family === 4 ? 'ipv4' : 'ipv6');
};

export const isLinkLocalAddress = (address: string): boolean => {
  const family = isIP(address);
  if (family === 0) return true;
  return linkLocal.check(address, family === 4 ? 'ipv4' : 'ipv6');
};

export interface OutboundPolicy {
  /** Reach private and loopback addresses too (a laptop, a VPC-internal service, tests). */
  allowPrivateNetworks: boolean;
  /** Even with private networks allowed, refuse link-local (cloud metadata). */
  alwaysRefuseLinkLocal?: boolean;
}

/** A request refused by the SSRF rules before anything was sent. */
export class OutboundRefusedError extends Error {
  override name = 'OutboundRefusedError';
}

/** Why `address` may not be reached under `policy`, or undefined when it may. */
export const refusalOf = (address: string, policy: OutboundPolicy): string | undefined => {
  if (policy.alwaysRefuseLinkLocal && isLinkLocalAddress(address)) return `${address} is a link-local address`;
  if (!policy.allowPrivateNetworks && isPrivateAddress(address)) return `${address} is a private or local address`;
  return undefined;
};

/** A DNS lookup that fails for addresses the policy refuses; `refuse` builds the error the caller wants. */
export const guardedLookup =
  (policy: OutboundPolicy, refuse: (message: string) => Error = (m) => new OutboundRefusedError(m)): LookupFunction =>
  (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      for (const a of addresses) {
        const reason = refusalOf(a.address, policy);
        if (reason) return callback(refuse(`${hostname} resolves to a refused address (${reason})`), '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, all: typeof addresses) => void)(null, addresses);
      const first = addresses[0];
      if (!first) return callback(new Error(`${hostname} has no address`), '', 0);
      return callback(null, first.address, first.family);
    });
  };

/** Checks what can be checked before connecting: scheme, no credentials in the URL, literal addresses. */
export const checkOutboundUrl = (url: URL, policy: OutboundPolicy): void => {
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new OutboundRefusedError(`Only http and https URLs are allowed, not ${url.protocol}`);
  if (url.username || url.password) throw new OutboundRefusedError('URLs with credentials are refused');
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(literal) !== 0) {
    const reason = refusalOf(literal, policy);
    if (reason) throw new OutboundRefusedError(`${reason}; refused`);
  }
};

export interface OutboundRequest {
  method: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  timeoutMs: number;
  maxResponseBytes: number;
  policy: OutboundPolicy;
  signal?: AbortSignal;
  /**
   * Connect to this host name's addresses instead of the URL's, still under the policy: TLS (SNI and the
   * certificate check) and the Host header keep naming the URL's host. For a load balancer whose public
   * name may not point at it yet (the stack's n8n during a deploy). Applies when the URL names a host.
   */
  resolveAs?: string;
}

export interface OutboundResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body was longer than `maxResponseBytes` and was cut there. */
  truncated: boolean;
}

/** The deadline passed before the exchange finished. */
export class OutboundTimeoutError extends Error {
  override name = 'OutboundTimeoutError';
}

/**
 * One HTTP exchange under the SSRF rules. Throws OutboundRefusedError (refused before sending),
 * OutboundTimeoutError (deadline), or the socket's error (ECONNREFUSED, ENOTFOUND...).
 */
export const outboundRequest = async (url: URL, request: OutboundRequest): Promise<OutboundResponse> => {
  checkOutboundUrl(url, request.policy);
  const deadline = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, deadline]) : deadline;
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const body = typeof request.body === 'string' ? Buffer.from(request.body, 'utf8') : request.body;
  const headers = { ...request.headers, ...(body ? { 'content-length': String(body.byteLength) } : {}) };
  const translate = (error: unknown): unknown => {
    if (error instanceof OutboundRefusedError) return error;
    if (deadline.aborted) return new OutboundTimeoutError(`${url.host} did not answer within ${request.timeoutMs} ms`);
    return error;
  };
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const guarded = guardedLookup(request.policy);
    const resolveAs = request.resolveAs;
    const lookup: LookupFunction = resolveAs ? (_hostname, options, callback) => guarded(resolveAs, options, callback) : guarded;
    const req = send(url, { method: request.method, headers, lookup, signal }, resolve);
    req.on('error', reject);
    req.end(body);
  }).catch((error: unknown) => {
    throw translate(error);
  });
  const chunks: Buffer[] = [];
  let received = 0;
  let truncated = false;
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      const room = request.maxResponseBytes - received;
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
    throw translate(error);
  } finally {
    response.destroy();
  }
  return { status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks), truncated };
};
