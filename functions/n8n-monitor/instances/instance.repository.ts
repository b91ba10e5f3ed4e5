/** PostgreSQL access to `n8n_instances`. Every tenant-facing query is scoped by tenant. */
import type { Queryable } from '#shared/db.ts';
import { ConflictError, NotFoundError } from '#shared/errors.ts';
import type { InstanceRecord, InstanceRepository, KeysetPosition, SyncWalk } from './instance.ts';

const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';

const columns = `id AS "instanceId", tenant_id AS "tenantId", name, base_url AS "baseUrl", api_key_sealed AS "apiKeySealed",
  created_by AS "createdBy", created_at AS "createdAt", updated_at AS "updatedAt", high_water_id::text AS "highWaterId", walk,
  last_sync_at AS "lastSyncAt", last_success_at AS "lastSuccessAt", last_error AS "lastError", last_error_at AS "lastErrorAt",
  consecutive_failures AS "consecutiveFailures"`;

export class PgInstanceRepository implements InstanceRepository {
  readonly #db: Queryable;
  constructor(db: Queryable) {
    this.#db = db;
  }

  async create(input: {
    instanceId: string;
    tenantId: string;
    name: string;
    baseUrl: string;
    apiKeySealed: string;
    createdBy: string;
  }): Promise<InstanceRecord> {
    try {
      const { rows } = await this.#db.query<InstanceRecord>(
        `INSERT INTO n8n_instances (id, tenant_id, name, base_url, api_key_sealed, created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${columns}`,
        [input.instanceId, input.tenantId, input.name, input.baseUrl, input.apiKeySealed, input.createdBy],
      );
      return rows[0]!;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === UNIQUE_VIOLATION)
        throw new ConflictError(`An n8n instance named ${input.name} is already registered`, [{ path: 'body.name', message: 'Already in use' }]);
      if (code === FOREIGN_KEY_VIOLATION) throw new NotFoundError(`Tenant ${input.tenantId} does not exist`);
      throw error;
    }
  }

  async find(tenantId: string, instanceId: string): Promise<InstanceRecord | undefined> {
    const { rows } = await this.#db.query<InstanceRecord>(`SELECT ${columns} FROM n8n_instances WHERE id = $1 AND tenant_id = $2`, [
      instanceId,
      tenantId,
    ]);
    return rows[0];
  }

  async list(tenantId: string, limit: number, after?: KeysetPosition): Promise<InstanceRecord[]> {
    const { rows } = await this.#db.query<InstanceRecord>(
      `SELECT ${columns} FROM n8n_instances
        WHERE tenant_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) > ($2::timestamptz, $3::text))
        ORDER BY created_at, id LIMIT $4`,
      [tenantId, after?.at ?? null, after?.id ?? '', limit + 1],
    );
    return rows;
  }

  async listAll(): Promise<InstanceRecord[]> {
    const { rows } = await this.#db.query<InstanceRecord>(`SELECT ${columns} FROM n8n_instances ORDER BY tenant_id, created_at, id`);
    return rows;
  }

  async update(
    tenantId: string,
    instanceId: string,
    fields: { name?: string; baseUrl?: string; apiKeySealed?: string },
  ): Promise<InstanceRecord | undefined> {
    try {
      const { rows } = await this.#db.query<InstanceRecord>(
        `UPDATE n8n_instances SET name = COALESCE($3, name), base_url = COALESCE($4, base_url), api_key_sealed = COALESCE($5, api_key_sealed),
           updated_at = date_trunc('milliseconds', clock_timestamp())
         WHERE id = $1 AND tenant_id = $2 RETURNING ${columns}`,
        [instanceId, tenantId, fields.name ?? null, fields.baseUrl ?? null, fields.apiKeySealed ?? null],
      );
      return rows[0];
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) {
        throw new ConflictError(`An n8n instance named ${fields.name} is already registered`, [{ path: 'body.name', message: 'Already in use' }]);
      }
      throw error;
    }
  }

  async resetSync(instanceId: string): Promise<void> {
    await this.#db.query('UPDATE n8n_instances SET high_water_id = NULL, walk = NULL, consecutive_failures = 0, last_error = NULL WHERE id = $1', [
      instanceId,
    ]);
  }

  async delete(tenantId: string, instanceId: string): Promise<boolean> {
    const { rowCount } = await this.#db.query('DELETE FROM n8n_instances WHERE id = $1 AND tenant_id = $2', [instanceId, tenantId]);
    return (rowCount ?? 0) > 0;
  }

  async lease(instanceId: string, seconds: number): Promise<boolean> {
    const { rowCount } = await this.#db.query(
      `UPDATE n8n_instances SET lease_until = clock_timestamp() + make_interval(secs => $2)
        WHERE id = $1 AND (lease_until IS NULL OR lease_until < clock_timestamp())`,
      [instanceId, seconds],
    );
    return (rowCount ?? 0) > 0;
  }

  async release(instanceId: string): Promise<void> {
    await this.#db.query('UPDATE n8n_instances SET lease_until = NULL WHERE id = $1', [instanceId]);
  }

  async saveWalk(instanceId: string, walk: SyncWalk | null, highWaterId?: string | null): Promise<void> {
    if (highWaterId === undefined) {
      await this.#db.query('UPDATE n8n_instances SET walk = $2 WHERE id = $1', [instanceId, walk === null ? null : JSON.stringify(walk)]);
    } else {
      await this.#db.query('UPDATE n8n_instances SET walk = $2, high_water_id = $3::bigint WHERE id = $1', [
        instanceId,
        walk === null ? null : JSON.stringify(walk),
        highWaterId,
      ]);
    }
  }

  async recordSuccess(instanceId: string, at: Date): Promise<void> {
    await this.#db.query(
      'UPDATE n8n_instances SET last_sync_at = $2, last_success_at = $2, last_error = NULL, consecutive_failures = 0 WHERE id = $1',
      [instanceId, at],
    );
  }

  async recordFailure(instanceId: string, message: string, at: Date): Promise<void> {
    await this.#db.query(
      'UPDATE n8n_instances SET last_sync_at = $2, last_error = $3, last_error_at = $2, consecutive_failures = consecutive_failures + 1 WHERE id = $1',
      [instanceId, at, message.slice(0, 1000)],
    );
  }
}
