import { httpHandler, ok } from '#shared/http.ts';
import { tenants } from './platform.composition.ts';
import { listTenantsRoute } from './platform.manifest.ts';
import { listTenants } from './tenant.service.ts';

export const handler = httpHandler(listTenantsRoute, async ({ principal, query }) => ok(await listTenants(await tenants(), principal, query)));
