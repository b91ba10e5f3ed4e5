/**
 * Tools that live outside this domain and are named in an agent's tool list by reference: `mcp:<serverId>`
 * stands for the tools of one of the tenant's remote MCP servers (the protocols domain). The runner offers
 * them next to the built-in tools and runs their calls; their failures are results the model reads.
 */
import type { ToolDefinition } from '../models/model.types.ts';

export type RemoteToolOutcome =
  | { ok: true; output: unknown }
  | {
      ok: false;
      error: { type: 'timeout' | 'refused' | 'upstream_error' | 'tool_failed' | 'unknown_tool' | 'disabled' | 'not_found'; message: string };
    };

export interface RemoteTools {
  /** Whether an agent tool entry is such a reference. */
  isRef(entry: string): boolean;
  /** The references among `entries` that name nothing the tenant has (for the agent's validation). */
  unknownRefs(tenantId: string, entries: readonly string[]): Promise<string[]>;
  /** Whether a tool name a model used belongs to the remote tools (and not to a built-in). */
  isToolName(name: string): boolean;
  /** The definitions for the model; `unavailable` says which references could not contribute and why. */
  definitions(
    tenantId: string,
    entries: readonly string[],
    signal?: AbortSignal,
  ): Promise<{ definitions: ToolDefinition[]; unavailable: Array<{ ref: string; reason: string }> }>;
  call(tenantId: string, entries: readonly string[], name: string, args: unknown, signal: AbortSignal): Promise<RemoteToolOutcome>;
}
