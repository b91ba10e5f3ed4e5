/** The audit trail as the platform reads it: entries are written by the shared HTTP stack, never changed. */
import type { AuditEntry } from '#shared/audit.ts';

/** An entry as the shared HTTP and WebSocket stacks wrote it (#shared/audit.ts), with its id and time. */
export interface AuditRecord extends AuditEntry {
  entryId: string;
  at: Date;
}

/** Newest first; `tenantId` undefined reads every tenant (platform admins). */
export interface AuditFilter {
  tenantId?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  actor?: string | undefined;
  resourceType?: string | undefined;
  resourceId?: string | undefined;
  /** The last entry of the previous page. */
  before?: { at: Date; entryId: string } | undefined;
  limit: number;
}

/** The storage port (PostgreSQL in audit-log.repository.ts). */
export interface AuditLogRepository {
  /** Up to `limit + 1` entries, so the caller knows whether another page exists. */
  list(filter: AuditFilter): Promise<AuditRecord[]>;
}
