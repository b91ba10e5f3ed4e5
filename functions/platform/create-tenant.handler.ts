import { created, httpHandler } from '#shared/http.ts';
import { inTransaction } from './platform.composition.ts';
import { createTenantRoute } from './platform.manifest.ts';
import { createTenant } from './tenant.service.ts';

export const handler = httpHandler(createTenantRoute, async ({ principal, body }) => created(await createTenant(inTransaction, principal, body)));
