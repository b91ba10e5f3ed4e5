import { ValidationError } from '#shared/errors.ts';
import { headerOf, type Headers } from '#shared/headers.ts';
import { httpHandler } from '#shared/http.ts';
import { IDEMPOTENCY_KEY } from '../executions.contracts.ts';
import { startExecutionRoute } from '../executions.routes.ts';
import { executionsService } from './executions.adapters.ts';

const idempotencyKey = (headers: Headers): string | undefined => {
  const key = headerOf(headers, 'idempotency-key');
  if (key === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw new ValidationError('The Idempotency-Key header is not valid', [
      { path: 'headers.idempotency-key', message: '1-255 visible ASCII characters' },
    ]);
  }
  return key;
};

export const handler = httpHandler(startExecutionRoute, async ({ principal, params, body, event }) => ({
  status: 202,
  body: await (await executionsService()).start(principal, params.agentId, body, idempotencyKey(event.headers)),
}));
