import { httpHandler, ok } from '#shared/http.ts';
import { decideApprovalRoute } from '../executions.routes.ts';
import { executionsService } from './executions.adapters.ts';

export const handler = httpHandler(decideApprovalRoute, async ({ principal, params, body }) =>
  ok(await (await executionsService()).decide(principal, params.executionId, body)),
);
