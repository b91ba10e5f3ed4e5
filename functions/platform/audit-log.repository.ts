/** PostgreSQL reads of `audit_entries` (append-only: the migration's trigger refuses updates and deletes). */
import type { Queryable } from '#shared/db.ts';
import type { AuditFilter, AuditLogRepository, AuditRecord } from './audit-log.ts';

export class PgAuditLogRepository implements AuditLogRepository {
  readonly #db: Queryable;
  constructor(db: Queryable) {
    this.#db = db;
  }

  async list(filter: AuditFilter): Promise<AuditRecord[]> {
    const { rows } = await this.#db.query<AuditRecord>(
      `SELECT id::text AS "entryId", tenant_id AS "tenantId", principal, action, resource_type AS "resourceType",
              resource_id AS "resourceId", status, outcome, request_id AS "requestId", source_ip AS "sourceIp", at
         FROM audit_entries
        WHERE ($1::text IS NULL OR tenant_id = $1)
          AND ($2::timestamptz IS NULL OR at >= $2)
          AND ($3::timestamptz IS NULL OR at < $3)
          AND ($4::text IS NULL OR principal = $4)
          AND ($5::text IS NULL OR resource_type = $5)
          AND ($6::text IS NULL OR resource_id = $6)
          AND ($7::timestamptz IS NULL OR (at, id) < ($7::timestamptz, $8::bigint))
        ORDER BY at DESC, id DESC
        LIMIT $9`,
      [
        filter.tenantId ?? null,
        filter.from ?? null,
        filter.to ?? null,
        filter.actor ?? null,
        filter.resourceType ?? null,
        filter.resourceId ?? null,
        filter.before?.at ?? null,
        filter.before?.entryId ?? '0',
        filter.limit + 1,
      ],
    );
    return rows;
  }
}
