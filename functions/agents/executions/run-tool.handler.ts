import type { TaskInput } from './agent-loop.service.ts';
import type { TurnToolCall } from './execution.ts';
import { agentLoop } from './agent-loop.adapters.ts';
import { taskHandler } from './task-handler.ts';

export const handler = taskHandler(async (input: TaskInput & { call: TurnToolCall }, signal) => (await agentLoop()).runTool(input, signal));
