/**
 * The compatibility probe wired per request (its URL and headers are the request's): the outbound rules of
 * remote MCP servers (private addresses only with HTTP_TOOL_ALLOW_PRIVATE_NETWORKS, never link-local, the
 * operator's MCP_SERVER_ALLOWED_HOSTS), and the registry's MCP schemas for every response.
 */
import { UnprocessableContentError } from '#shared/errors.ts';
import { allowedHostsFromEnv, createUrlPolicy, outboundPolicyFromEnv } from '../mcp-servers/url-policy.ts';
import { checkMcpResult, mcpMethod, type McpRevision } from '../registry/mcp-catalog.adapter.ts';
import type { CompatBody } from './compat.contracts.ts';
import type { CompatPorts } from './compat.service.ts';
import { createMcpProbe } from './mcp-probe.adapter.ts';

export const compatPorts = (input: CompatBody): CompatPorts => {
  const policy = outboundPolicyFromEnv();
  const url = new URL(input.url);
  const refused = createUrlPolicy(policy, allowedHostsFromEnv())(url);
  if (refused) throw new UnprocessableContentError(`The outbound rules refuse ${url.host}: ${refused}`, [{ path: 'body.url', message: refused }]);
  return {
    probe: createMcpProbe({ url, headers: input.headers ?? {}, policy }),
    checkResult: (revision, method, result) => checkMcpResult(revision as McpRevision, method, result, ''),
    hasMethod: (revision, method) => mcpMethod(revision as McpRevision, method) !== undefined,
  };
};
