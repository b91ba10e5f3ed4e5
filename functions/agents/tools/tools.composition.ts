/**
 * The tool runner, built once per cold start for the handlers that need it (`GET /v1/tools`, agent create and
 * update, the run-tool task). The files the tools read and write come from files-port.composition.ts, so the
 * handlers that only list or check tools bundle no S3 client.
 */
import type { ToolCatalog } from '../definitions/agent.ts';
import { builtinToolsConfigFromEnv, createBuiltinTools } from './builtin-tools.ts';
import { createToolRunner, type ToolRunner } from './tool.runner.ts';
import type { ToolInfo } from './tool.types.ts';

let runner: ToolRunner | undefined;

export const toolRunner = (): ToolRunner => (runner ??= createToolRunner(createBuiltinTools(builtinToolsConfigFromEnv())));

export const toolList = (): ToolInfo[] => toolRunner().listTools();

/** The catalog agents are checked against: the runner executions use, so an agent names only runnable tools. */
export const toolCatalog = (): ToolCatalog => ({
  has: (name) => toolRunner().has(name),
  names: () => toolList().map((t) => t.name),
});
