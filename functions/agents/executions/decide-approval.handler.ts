import { httpHandler, ok } from '#shared/http.ts';
import { decideApprovalRoute } from '../agents.manifest.ts';
import { executionsService } from './executions.composition.ts';

export const handler = httpHandler(decideApprovalRoute, async ({ principal, params, body }) =>
  ok(await (await executionsService()).decide(principal, params.executionId, body)),
);
