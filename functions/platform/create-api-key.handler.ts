import { created, httpHandler } from '#shared/http.ts';
import { apiKeys } from './platform.composition.ts';
import { createApiKeyRoute } from './platform.manifest.ts';
import { createApiKey } from './api-key.service.ts';

export const handler = httpHandler(createApiKeyRoute, async ({ principal, body }) => created(await createApiKey(await apiKeys(), principal, body)));
