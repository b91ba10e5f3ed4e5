import { ConflictError } from '#shared/errors.ts';
import { httpHandler, ok } from '#shared/http.ts';
import { requireInstance } from '../instances/instance.service.ts';
import { evaluateAlertsOf, syncPorts } from '../n8n-monitor.composition.ts';
import { syncInstanceRoute } from '../n8n-monitor.manifest.ts';
import { syncInstance } from './sync.service.ts';

/** Leaves API Gateway's 29 s room to answer; what is left over resumes on the next poll. */
const BUDGET_MS = 20_000;

export const handler = httpHandler(syncInstanceRoute, async ({ principal, params }) => {
  const ports = await syncPorts();
  const instance = await requireInstance(ports.instances, principal.tenantId, params.instanceId);
  const result = await syncInstance(ports, instance, { deadline: Date.now() + BUDGET_MS });
  if (result.outcome === 'busy') throw new ConflictError('A sync of this instance is running; try again when it ends');
  await evaluateAlertsOf(principal.tenantId);
  return ok(result);
});
