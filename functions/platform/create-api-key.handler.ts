import { created, httpHandler } from '#shared/http.ts';
import { apiKeys } from './platform.adapters.ts';
import { createApiKeyRoute } from './platform.routes.ts';
import { createApiKey } from './api-key.service.ts';

export const handler = httpHandler(createApiKeyRoute, async ({ principal, body }) =>
  created(await createApiKey(await apiKeys(), principal, body)),
);
