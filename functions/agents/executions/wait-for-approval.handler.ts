/** Invoked with `.waitForTaskToken`: its return value is ignored; the run resumes on SendTaskSuccess. */
import type { TaskInput } from './agent-loop.service.ts';
import { agentLoop, agentTask } from './agent-loop.composition.ts';

export const handler = agentTask(async (input: TaskInput & { taskToken: string }) => (await agentLoop()).waitForApproval(input));
