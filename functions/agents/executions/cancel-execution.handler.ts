import { httpHandler, ok } from '#shared/http.ts';
import { cancelExecutionRoute } from '../executions.routes.ts';
import { executionsService } from './executions.adapters.ts';

export const handler = httpHandler(cancelExecutionRoute, async ({ principal, params }) =>
  ok(await (await executionsService()).cancel(principal, params.executionId)),
);
