import { httpHandler, ok } from '#shared/http.ts';
import { listExecutionStepsRoute } from '../agents.manifest.ts';
import { executionsService } from './executions.composition.ts';

export const handler = httpHandler(listExecutionStepsRoute, async ({ principal, params, query }) =>
  ok(await (await executionsService()).steps(principal, params.executionId, query.limit, query.cursor)),
);
