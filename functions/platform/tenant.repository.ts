/** PostgreSQL access to `tenants`. */
import type { CreatedAtPosition } from '#shared/pagination.ts';
import type { Queryable } from '#shared/db.ts';
import type { TenantRecord, TenantRepository } from './tenant.ts';

const columns = `id AS "tenantId", name, created_at AS "createdAt"`;

export class PgTenantRepository implements TenantRepository {
  readonly #db: Queryable;
  constructor(db: Queryable) {
    this.#db = db;
  }

  async insert(tenantId: string, name: string): Promise<TenantRecord> {
    const { rows } = await this.#db.query<TenantRecord>(`INSERT INTO tenants (id, name) VALUES ($1, $2) RETURNING ${columns}`, [tenantId, name]);
    return rows[0]!;
  }

  /** Creates the tenant unless it exists; concurrent callers both succeed. */
  async ensure(tenantId: string, name: string): Promise<void> {
    await this.#db.query(`INSERT INTO tenants (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, [tenantId, name]);
  }

  async list(limit: number, after?: CreatedAtPosition): Promise<TenantRecord[]> {
    const { rows } = await this.#db.query<TenantRecord>(
      `SELECT ${columns} FROM tenants
        WHERE ($1::timestamptz IS NULL OR (created_at, id) > ($1::timestamptz, $2::text))
        ORDER BY created_at, id LIMIT $3`,
      [after?.createdAt ?? null, after?.id ?? '', limit + 1],
    );
    return rows;
  }
}
