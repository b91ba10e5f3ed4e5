/**
 * The `execution:<id>` channel kind, owned by the agents domain: its events are the run's (tokens, steps,
 * tool calls, the outcome), appended by the loop's tasks; members of the execution's tenant may subscribe
 * (read), nobody publishes. Realtime routes it through the registry (functions/shared/channels.ts).
 */
import type { ChannelKind } from '#shared/channels.ts';
import { NotFoundError } from '#shared/errors.ts';
import type { ExecutionRepository } from './execution.ts';

export const executionChannelName = (executionId: string): string => `execution:${executionId}`;

/** `executions` answers the subscribe check; without it (a writer's fan-out) the kind only names and points. */
export const executionChannelKind = (executions?: () => Promise<Pick<ExecutionRepository, 'find'>>): ChannelKind => ({
  kind: 'execution',
  scope: 'resource',
  idPattern: /^[A-Za-z0-9_-]{1,100}$/,
  idHint: 'execution:<executionId>',
  authorize: async (caller, id) => {
    // Another tenant's execution answers exactly like one that does not exist.
    if (!executions || !(await (await executions()).find(caller.tenantId, id))) throw new NotFoundError(`No execution ${id}`);
  },
  fetchPath: (id, seq) => `/v1/executions/${id}/events?afterSeq=${seq - 1}&limit=1`,
});
