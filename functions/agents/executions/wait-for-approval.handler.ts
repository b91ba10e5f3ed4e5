/** Invoked with `.waitForTaskToken`: its return value is ignored; the run resumes on SendTaskSuccess. */
import type { TaskInput } from './agent-loop.service.ts';
import { agentLoop } from './agent-loop.adapters.ts';
import { taskHandler } from './task-handler.ts';

export const handler = taskHandler(async (input: TaskInput & { taskToken: string }) => (await agentLoop()).waitForApproval(input));
