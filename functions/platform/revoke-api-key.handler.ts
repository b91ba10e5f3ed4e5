import { publishEvents } from '#shared/events.ts';
import { httpHandler, noContent } from '#shared/http.ts';
import { endSessionsOf } from '#functions/realtime/realtime.public.ts';
import { apiKeys } from './platform.composition.ts';
import { revokeApiKeyRoute } from './platform.manifest.ts';
import { revokeApiKey, type SessionTerminator } from './api-key.service.ts';

/**
 * Takes effect on the next request: the authorizer looks API keys up in PostgreSQL every time (it caches
 * only JWT verifications), so there is no cache window in which a revoked key still works. WebSocket
 * connections opened with the key were authorized once, at connect: they are ended right away through the
 * realtime domain's public module, wired here rather than in platform.composition.ts so that the other
 * platform functions do not bundle the realtime code.
 */
const sessions: SessionTerminator = { endSessionsOf };

export const handler = httpHandler(revokeApiKeyRoute, async ({ principal, params }) => {
  await revokeApiKey(await apiKeys(), sessions, principal, params.keyId);
  // For customers' own routing (rotate the key in a vault, page someone): the stage's event bus.
  await publishEvents([
    { source: 'platform', detailType: 'API Key Revoked', detail: { tenantId: principal.tenantId, keyId: params.keyId, revokedBy: principal.userId } },
  ]);
  return noContent();
});
