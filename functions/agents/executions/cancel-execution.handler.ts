import { httpHandler, ok } from '#shared/http.ts';
import { cancelExecutionRoute } from '../agents.manifest.ts';
import { executionsService } from './executions.composition.ts';

export const handler = httpHandler(cancelExecutionRoute, async ({ principal, params }) =>
  ok(await (await executionsService()).cancel(principal, params.executionId)),
);
