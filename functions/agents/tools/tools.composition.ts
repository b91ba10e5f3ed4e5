/**
 * The tool runner, built once per cold start for the handlers that need it (`GET /v1/tools`, agent create and
 * update, the run-tool task). The files the tools read and write come from files-port.composition.ts, so the
 * handlers that only list or check tools bundle no S3 client.
 */
import { logger } from '#shared/observability.ts';
import type { ToolCatalog } from '../definitions/agent.ts';
import { builtinToolsConfigFromEnv, createBuiltinTools } from './builtin-tools.ts';
import { mcpRemoteTools } from './mcp-tools.adapter.ts';
import { createToolRunner, type ToolRunner } from './tool.runner.ts';
import type { ToolInfo } from './tool.types.ts';

let runner: ToolRunner | undefined;

/** The built-ins, and the tenant's remote MCP servers' tools for agents that list `mcp:<serverId>`. */
export const toolRunner = (): ToolRunner =>
  (runner ??= createToolRunner(createBuiltinTools(builtinToolsConfigFromEnv()), {
    remote: mcpRemoteTools(),
    onUnavailable: (ref, reason) => logger.warn('MCP tools left out of a model call', { ref, reason }),
  }));

export const toolList = (): ToolInfo[] => toolRunner().listTools();

/** The catalog agents are checked against: the runner executions use, so an agent names only runnable tools. */
export const toolCatalog = (): ToolCatalog => {
  const remote = mcpRemoteTools();
  return {
    has: (name) => toolRunner().has(name),
    names: () => toolList().map((t) => t.name),
    refs: { isRef: remote.isRef, unknown: remote.unknownRefs },
  };
};
