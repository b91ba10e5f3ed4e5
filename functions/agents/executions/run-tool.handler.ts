import type { TaskInput } from './agent-loop.service.ts';
import type { TurnToolCall } from './execution.ts';
import { agentLoop, agentTask } from './agent-loop.composition.ts';

export const handler = agentTask(async (input: TaskInput & { call: TurnToolCall }, signal) => (await agentLoop()).runTool(input, signal));
