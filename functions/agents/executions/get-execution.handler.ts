import { httpHandler, ok } from '#shared/http.ts';
import { getExecutionRoute } from '../agents.manifest.ts';
import { executionsService } from './executions.composition.ts';

export const handler = httpHandler(getExecutionRoute, async ({ principal, params }) =>
  ok(await (await executionsService()).get(principal, params.executionId)),
);
