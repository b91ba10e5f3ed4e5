/** The remote tools port over the protocols domain's MCP servers (functions/protocols/protocols.public.ts). */
import { mcpServerRefs, mcpToolsFor } from '#functions/protocols/protocols.public.ts';
import type { RemoteTools } from './remote-tools.port.ts';

export const mcpRemoteTools = (): RemoteTools => ({
  isRef: (entry) => mcpServerRefs.isRef(entry),
  unknownRefs: (tenantId, entries) => mcpServerRefs.unknown(tenantId, entries),
  isToolName: (name) => mcpServerRefs.isToolName(name),
  definitions: async (tenantId, entries, signal) => {
    const { tools, unavailable } = await mcpToolsFor(tenantId, mcpServerRefs.serverIds(entries)).list(signal);
    return {
      definitions: tools.map((t) => ({ name: t.name, description: t.description, parameters: { ...t.parameters, type: 'object' as const } })),
      unavailable: unavailable.map((u) => ({ ref: `mcp:${u.serverId}`, reason: u.name ? `${u.name}: ${u.reason}` : u.reason })),
    };
  },
  call: (tenantId, entries, name, args, signal) => mcpToolsFor(tenantId, mcpServerRefs.serverIds(entries)).call(name, args, signal),
});
