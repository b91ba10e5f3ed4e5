import { httpHandler, ok } from '#shared/http.ts';
import { apiKeys } from './platform.composition.ts';
import { listApiKeysRoute } from './platform.manifest.ts';
import { listApiKeys } from './api-key.service.ts';

export const handler = httpHandler(listApiKeysRoute, async ({ principal, query }) => ok(await listApiKeys(await apiKeys(), principal, query)));
