import type { TaskInput } from './agent-loop.service.ts';
import { agentLoop, agentTask } from './agent-loop.composition.ts';

export const handler = agentTask(async (input: TaskInput, signal) => (await agentLoop()).callModel(input, signal));
