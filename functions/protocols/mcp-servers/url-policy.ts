/**
 * Where remote MCP servers may be: the outbound rules of the agents' `http_request` tool (functions/shared/
 * outbound-http.ts: http(s) only, no credentials in the URL, no private, loopback or link-local address unless
 * `HTTP_TOOL_ALLOW_PRIVATE_NETWORKS=true`, and never link-local cloud metadata), plus the operator's optional
 * host list (`MCP_SERVER_ALLOWED_HOSTS`). Addresses a name resolves to are checked again at connect time.
 */
import { checkOutboundUrl, type OutboundPolicy } from '#shared/outbound-http.ts';
import { settings } from '#shared/resources.ts';
import type { UrlPolicy } from './mcp-server.ts';

export const outboundPolicyFromEnv = (env: NodeJS.ProcessEnv = process.env): OutboundPolicy => ({
  allowPrivateNetworks: env.HTTP_TOOL_ALLOW_PRIVATE_NETWORKS === 'true',
  alwaysRefuseLinkLocal: true,
});

export const allowedHostsFromEnv = (env: NodeJS.ProcessEnv = process.env): string[] =>
  (env[settings.mcpServerAllowedHosts.env] ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);

const hostAllowed = (url: URL, allowedHosts: readonly string[]): boolean =>
  allowedHosts.some((entry) => (entry.startsWith('*.') ? url.hostname.endsWith(entry.slice(1)) : entry === url.hostname || entry === url.host));

export const createUrlPolicy =
  (policy: OutboundPolicy, allowedHosts: readonly string[]): UrlPolicy =>
  (url) => {
    try {
      checkOutboundUrl(url, policy);
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
    if (allowedHosts.length > 0 && !hostAllowed(url, allowedHosts))
      return `${url.host} is not among the allowed MCP server hosts (${allowedHosts.join(', ')})`;
    return undefined;
  };
