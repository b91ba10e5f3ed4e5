import { httpHandler, noContent } from '#shared/http.ts';
import { apiKeys } from './platform.adapters.ts';
import { revokeApiKeyRoute } from './platform.routes.ts';
import { revokeApiKey } from './api-key.service.ts';

/**
 * Takes effect on the next request: the authorizer looks API keys up in PostgreSQL every time (it caches
 * only JWT verifications), so there is no cache window in which a revoked key still works.
 */
export const handler = httpHandler(revokeApiKeyRoute, async ({ principal, params }) => {
  await revokeApiKey(await apiKeys(), principal, params.keyId);
  return noContent();
});
