/** PostgreSQL access to `api_keys`. */
import type { CreatedAtPosition } from '#shared/pagination.ts';
import type { Queryable } from '#shared/db.ts';
import { NotFoundError } from '#shared/errors.ts';
import type { Role } from '#shared/principal.ts';
import type { ApiKeyInsert, ApiKeyRecord, ApiKeyRepository } from './api-key.ts';

const columns = `id AS "keyId", tenant_id AS "tenantId", name, role, prefix, created_at AS "createdAt",
  created_by AS "createdBy", last_used_at AS "lastUsedAt", revoked_at AS "revokedAt"`;

const FOREIGN_KEY_VIOLATION = '23503';

export class PgApiKeyRepository implements ApiKeyRepository {
  readonly #db: Queryable;
  constructor(db: Queryable) {
    this.#db = db;
  }

  async insert(key: ApiKeyInsert): Promise<ApiKeyRecord> {
    try {
      const { rows } = await this.#db.query<ApiKeyRecord>(
        `INSERT INTO api_keys (id, tenant_id, name, role, hash, prefix, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${columns}`,
        [key.keyId, key.tenantId, key.name, key.role, key.hash, key.prefix, key.createdBy],
      );
      return rows[0]!;
    } catch (error) {
      // A JWT can name a tenant that was never created; that is the caller's problem, not a 500.
      if ((error as { code?: string }).code === FOREIGN_KEY_VIOLATION) throw new NotFoundError(`Tenant ${key.tenantId} does not exist`);
      throw error;
    }
  }

  /**
   * The live key with this hash, if any, and its use recorded at most once a minute per key, so a busy key
   * does not turn every authorization into a row write. A plain SELECT on every request (the write only
   * when the last one is a minute old): PostgreSQL plans a statement sent without a name on every call, and
   * the one-statement form (a CTE with the UPDATE) cost it about twice the CPU of this SELECT, on the path
   * of every request with an API key (docs/performance.md, "Gateway"). No named prepared statement: that is
   * session state, which pins an RDS Proxy connection.
   */
  async findActiveByHash(hash: string): Promise<{ keyId: string; tenantId: string; role: Role } | undefined> {
    const { rows } = await this.#db.query<{ keyId: string; tenantId: string; role: Role; stale: boolean }>(
      `SELECT id AS "keyId", tenant_id AS "tenantId", role, (last_used_at IS NULL OR last_used_at < now() - interval '1 minute') AS stale
         FROM api_keys WHERE hash = $1 AND revoked_at IS NULL`,
      [hash],
    );
    const key = rows[0];
    if (!key) return undefined;
    if (key.stale) {
      await this.#db.query(
        `UPDATE api_keys SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
        [key.keyId],
      );
    }
    return { keyId: key.keyId, tenantId: key.tenantId, role: key.role };
  }

  /** Oldest first; `after` is the last row of the previous page. Fetches `limit + 1` to detect a next page. */
  async listByTenant(tenantId: string, limit: number, after?: CreatedAtPosition): Promise<ApiKeyRecord[]> {
    const { rows } = await this.#db.query<ApiKeyRecord>(
      `SELECT ${columns} FROM api_keys
        WHERE tenant_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) > ($2::timestamptz, $3::text))
        ORDER BY created_at, id LIMIT $4`,
      [tenantId, after?.createdAt ?? null, after?.id ?? '', limit + 1],
    );
    return rows;
  }

  /** False when the tenant has no such key (another tenant's key counts as none). Idempotent. */
  async revoke(tenantId: string, keyId: string): Promise<boolean> {
    const { rowCount } = await this.#db.query(`UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 AND tenant_id = $2`, [
      keyId,
      tenantId,
    ]);
    return (rowCount ?? 0) > 0;
  }

  /** Whether a key exists in the tenant and is not revoked: one lookup by primary key. */
  async isActive(tenantId: string, keyId: string): Promise<boolean> {
    const { rows } = await this.#db.query('SELECT 1 FROM api_keys WHERE id = $1 AND tenant_id = $2 AND revoked_at IS NULL', [keyId, tenantId]);
    return rows.length > 0;
  }
}
