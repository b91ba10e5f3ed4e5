/**
 * Remote MCP servers wired to their I/O once per cold start: PostgreSQL, the credentials key that seals auth
 * headers, the outbound rules from the environment, and the MCP client SDK.
 */
import { getPool } from '#shared/db.ts';
import { credentialsBox } from '#shared/sealed-secrets.ts';
import { PgMcpServerRepository } from './mcp-server.repository.ts';
import type { OutboundPolicy } from '#shared/outbound-http.ts';
import type { RemoteMcp, SecretSealer } from './mcp-server.ts';
import { McpServersService } from './mcp-servers.service.ts';
import { allowedHostsFromEnv, createUrlPolicy, outboundPolicyFromEnv } from './url-policy.ts';

const sealer: SecretSealer = {
  seal: async (plaintext, context) => (await credentialsBox()).seal(plaintext, context),
  open: async (sealed, context) => (await credentialsBox()).open(sealed, context),
};

/** The MCP client SDK is loaded on first use: the CRUD handlers never talk to a server. */
const lazyRemote = (policy: OutboundPolicy): RemoteMcp => {
  let remote: Promise<RemoteMcp> | undefined;
  const load = () => (remote ??= import('./remote-mcp.adapter.ts').then((m) => m.createRemoteMcp(policy)));
  return {
    listTools: async (endpoint, signal) => (await load()).listTools(endpoint, signal),
    callTool: async (endpoint, name, args, signal) => (await load()).callTool(endpoint, name, args, signal),
  };
};

let service: Promise<McpServersService> | undefined;

export const mcpServers = (): Promise<McpServersService> => {
  service ??= getPool().then((pool) => {
    const policy = outboundPolicyFromEnv();
    return new McpServersService({
      repo: new PgMcpServerRepository(pool),
      sealer,
      urlPolicy: createUrlPolicy(policy, allowedHostsFromEnv()),
      remote: lazyRemote(policy),
    });
  });
  service.catch(() => (service = undefined));
  return service;
};
