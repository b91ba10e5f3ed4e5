import { httpHandler, ok } from '#shared/http.ts';
import { listExecutionStepsRoute } from '../executions.routes.ts';
import { executionsService } from './executions.adapters.ts';

export const handler = httpHandler(listExecutionStepsRoute, async ({ principal, params, query }) =>
  ok(await (await executionsService()).steps(principal, params.executionId, query.limit, query.cursor)),
);
