/** The tool catalog from H5's runner: the same one executions use, so an agent names only runnable tools. */
import { listTools, toolRunner } from '../tools/tools.adapters.ts';
import type { ToolInfo } from '../tools/tool.types.ts';
import type { ToolCatalog } from './agent.ts';

export const toolCatalog = (): ToolCatalog => ({
  has: (name) => toolRunner().has(name),
  names: () => listTools().map((t) => t.name),
});

export const toolList = (): ToolInfo[] => listTools();
