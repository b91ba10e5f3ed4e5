/**
 * Reading the audit trail: admins read their own tenant's entries; platform admins (admins of the default
 * tenant) read every tenant's, or one tenant's with `tenant=`. Newest first, keyset-paged by (at, id).
 */
import { ForbiddenError } from '#shared/errors.ts';
import { cursorTimestamp, decodeCursor, toPage, type Page } from '#shared/pagination.ts';
import type { Principal } from '#shared/principal.ts';
import * as z from 'zod';
import type { AuditLogRepository, AuditRecord } from './audit-log.ts';
import type { AuditEntryView, AuditQuery } from './audit-log.contracts.ts';
import { isPlatformAdmin } from './tenant.service.ts';

const position = z.object({ at: cursorTimestamp, id: z.string().regex(/^\d{1,19}$/) });

const toView = (r: AuditRecord): AuditEntryView => ({ ...r, at: r.at.toISOString() });

export const listAuditEntries = async (repo: AuditLogRepository, caller: Principal, query: AuditQuery): Promise<Page<AuditEntryView>> => {
  const platformAdmin = isPlatformAdmin(caller);
  if (query.tenant !== undefined && query.tenant !== caller.tenantId && !platformAdmin) {
    throw new ForbiddenError("Only platform admins (admins of the default tenant) read other tenants' audit trails");
  }
  const tenantId = platformAdmin ? query.tenant : caller.tenantId;
  const after = decodeCursor(query.cursor, position);
  const [resourceType, resourceId] = query.resource?.split('/', 2) ?? [];
  const rows = await repo.list({
    tenantId,
    from: query.from === undefined ? undefined : new Date(query.from),
    to: query.to === undefined ? undefined : new Date(query.to),
    actor: query.actor,
    resourceType,
    resourceId,
    before: after && { at: new Date(after.at), entryId: after.id },
    limit: query.limit,
  });
  return toPage(rows, query.limit, toView, (r) => ({ at: r.at.toISOString(), id: r.entryId }));
};
