import { httpHandler, noContent } from '#shared/http.ts';
import { endSessionsOf } from '#functions/realtime/realtime.adapters.ts';
import { apiKeys } from './platform.adapters.ts';
import { revokeApiKeyRoute } from './platform.routes.ts';
import { revokeApiKey, type SessionTerminator } from './api-key.service.ts';

/**
 * Takes effect on the next request: the authorizer looks API keys up in PostgreSQL every time (it caches
 * only JWT verifications), so there is no cache window in which a revoked key still works. WebSocket
 * connections opened with the key were authorized once, at connect: they are ended right away through the
 * realtime domain's adapter, wired here rather than in platform.adapters.ts so that the other platform
 * functions do not bundle the realtime code.
 */
const sessions: SessionTerminator = { endSessionsOf };

export const handler = httpHandler(revokeApiKeyRoute, async ({ principal, params }) => {
  await revokeApiKey(await apiKeys(), sessions, principal, params.keyId);
  return noContent();
});
