import { httpHandler, ok } from '#shared/http.ts';
import { getExecutionRoute } from '../executions.routes.ts';
import { executionsService } from './executions.adapters.ts';

export const handler = httpHandler(getExecutionRoute, async ({ principal, params }) =>
  ok(await (await executionsService()).get(principal, params.executionId)),
);
