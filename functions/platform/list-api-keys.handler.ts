import { httpHandler, ok } from '#shared/http.ts';
import { apiKeys } from './platform.adapters.ts';
import { listApiKeysRoute } from './platform.routes.ts';
import { listApiKeys } from './api-key.service.ts';

export const handler = httpHandler(listApiKeysRoute, async ({ principal, query }) =>
  ok(await listApiKeys(await apiKeys(), principal, query)),
);
