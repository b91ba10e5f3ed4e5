import { httpHandler, ok } from '#shared/http.ts';
import { monitorReads } from '../n8n-monitor.composition.ts';
import { getExecutionRoute } from '../n8n-monitor.manifest.ts';
import { getExecution } from './monitor-reads.service.ts';

export const handler = httpHandler(getExecutionRoute, async ({ principal, params }) =>
  ok(await getExecution(await monitorReads(), principal, params.executionId)),
);
