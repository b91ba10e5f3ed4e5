import { httpHandler, ok } from '#shared/http.ts';
import { actionPorts } from '../n8n-monitor.composition.ts';
import { retryExecutionRoute } from '../n8n-monitor.manifest.ts';
import { retryExecution } from './monitor-reads.service.ts';

export const handler = httpHandler(retryExecutionRoute, async ({ principal, params }) =>
  ok(await retryExecution(await actionPorts(), principal, params.executionId)),
);
