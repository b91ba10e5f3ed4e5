import { httpHandler, ok } from '#shared/http.ts';
import { listAuditEntries } from './audit-log.service.ts';
import { auditLog } from './platform.composition.ts';
import { listAuditEntriesRoute } from './platform.manifest.ts';

export const handler = httpHandler(listAuditEntriesRoute, async ({ principal, query }) =>
  ok(await listAuditEntries(await auditLog(), principal, query)),
);
