import { httpHandler, ok } from '#shared/http.ts';
import { actionPorts } from '../n8n-monitor.composition.ts';
import { stopExecutionRoute } from '../n8n-monitor.manifest.ts';
import { stopExecution } from './monitor-reads.service.ts';

export const handler = httpHandler(stopExecutionRoute, async ({ principal, params }) =>
  ok(await stopExecution(await actionPorts(), principal, params.executionId)),
);
