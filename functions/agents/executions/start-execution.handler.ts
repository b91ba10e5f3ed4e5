import { httpHandler } from '#shared/http.ts';
import { startExecutionRoute } from '../agents.manifest.ts';
import { executionsService } from './executions.composition.ts';

export const handler = httpHandler(startExecutionRoute, async ({ principal, params, body, headers }) => ({
  status: 202,
  body: await (await executionsService()).start(principal, params.agentId, body, headers['idempotency-key']),
}));
