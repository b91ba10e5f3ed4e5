import { ValidationError } from '#shared/errors.ts';
import { httpHandler } from '#shared/http.ts';
import { IDEMPOTENCY_KEY } from '../executions.contracts.ts';
import { startExecutionRoute } from '../executions.routes.ts';
import { executionsService } from './executions.adapters.ts';

const idempotencyKey = (headers: Record<string, string | undefined> | null): string | undefined => {
  const entry = Object.entries(headers ?? {}).find(([name]) => name.toLowerCase() === 'idempotency-key');
  if (entry?.[1] === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(entry[1])) {
    throw new ValidationError('The Idempotency-Key header is not valid', [
      { path: 'headers.idempotency-key', message: '1-255 visible ASCII characters' },
    ]);
  }
  return entry[1];
};

export const handler = httpHandler(startExecutionRoute, async ({ principal, params, body, event }) => ({
  status: 202,
  body: await (await executionsService()).start(principal, params.agentId, body, idempotencyKey(event.headers)),
}));
