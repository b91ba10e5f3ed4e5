/**
 * Mints an admin API key in the default tenant (creating that tenant on first use). Invoked directly, not
 * through the API: by `npm run mint-admin-key` against a deployed stack and by the local runtime at start.
 */
import * as z from 'zod';
import { fieldErrorsOf } from '#shared/errors.ts';
import { logger } from '#shared/observability.ts';
import { taskHandler } from '#shared/task.ts';
import { inTransaction } from './platform.composition.ts';
import { mintAdminKey } from './tenant.service.ts';

const event = z.object({ name: z.string().trim().min(1).max(100).optional() }).nullish();

export const handler = taskHandler(async (input: unknown): Promise<{ keyId: string; apiKey: string; tenantId: string }> => {
  const parsed = event.safeParse(input);
  if (!parsed.success)
    throw new Error(
      `Invalid event: ${fieldErrorsOf(parsed.error, [], 'event')
        .map((e) => `${e.path}: ${e.message}`)
        .join('; ')}`,
    );
  const minted = await mintAdminKey(inTransaction, parsed.data?.name ?? 'admin');
  // The secret goes only to the invoker, never to the logs.
  logger.info('Minted admin key', { keyId: minted.keyId, tenantId: minted.tenantId });
  return minted;
});
