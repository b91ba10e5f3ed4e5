import { created, httpHandler } from '#shared/http.ts';
import { inTransaction } from './platform.adapters.ts';
import { createTenantRoute } from './platform.routes.ts';
import { createTenant } from './tenant.service.ts';

export const handler = httpHandler(createTenantRoute, async ({ principal, body }) =>
  created(await createTenant(inTransaction, principal, body)),
);
