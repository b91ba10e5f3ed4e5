import type { TaskInput } from './agent-loop.service.ts';
import { agentLoop } from './agent-loop.adapters.ts';
import { taskHandler } from './task-handler.ts';

export const handler = taskHandler(async (input: TaskInput, signal) => (await agentLoop()).callModel(input, signal));
