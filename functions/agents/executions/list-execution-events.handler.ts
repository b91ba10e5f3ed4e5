import { httpHandler, ok } from '#shared/http.ts';
import { listExecutionEventsRoute } from '../agents.manifest.ts';
import { executionsService } from './executions.composition.ts';

export const handler = httpHandler(listExecutionEventsRoute, async ({ principal, params, query }) =>
  ok(await (await executionsService()).events(principal, params.executionId, query.afterSeq, query.limit)),
);
