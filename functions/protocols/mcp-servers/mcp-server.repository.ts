/** PostgreSQL access to `mcp_servers`. Every query is scoped by tenant. */
import type { Queryable } from '#shared/db.ts';
import { ConflictError, NotFoundError } from '#shared/errors.ts';
import type { CreatedAtPosition } from '#shared/pagination.ts';
import type { McpServerFields, McpServerRecord, McpServerRepository } from './mcp-server.ts';

const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';

const columns = `id AS "serverId", tenant_id AS "tenantId", name, url, auth_header AS "authHeader", auth_sealed AS "authSealed",
  allow_tools AS "allowTools", deny_tools AS "denyTools", enabled, timeout_ms AS "timeoutMs", version,
  created_by AS "createdBy", created_at AS "createdAt", updated_at AS "updatedAt"`;

const nameTaken = (name: string) =>
  new ConflictError(`This tenant already has an MCP server named "${name}"`, [{ path: 'body.name', message: 'Already taken in this tenant' }]);

const codeOf = (error: unknown): string | undefined => (error as { code?: string }).code;

export class PgMcpServerRepository implements McpServerRepository {
  readonly #db: Queryable;
  constructor(db: Queryable) {
    this.#db = db;
  }

  async insert(serverId: string, tenantId: string, f: McpServerFields, createdBy: string): Promise<McpServerRecord> {
    try {
      const { rows } = await this.#db.query<McpServerRecord>(
        `INSERT INTO mcp_servers (id, tenant_id, name, url, auth_header, auth_sealed, allow_tools, deny_tools, enabled, timeout_ms, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ${columns}`,
        [serverId, tenantId, f.name, f.url, f.authHeader, f.authSealed, f.allowTools, f.denyTools, f.enabled, f.timeoutMs, createdBy],
      );
      return rows[0]!;
    } catch (error) {
      if (codeOf(error) === UNIQUE_VIOLATION) throw nameTaken(f.name);
      // A JWT can name a tenant that was never created.
      if (codeOf(error) === FOREIGN_KEY_VIOLATION) throw new NotFoundError(`Tenant ${tenantId} does not exist`);
      throw error;
    }
  }

  async find(tenantId: string, serverId: string): Promise<McpServerRecord | undefined> {
    const { rows } = await this.#db.query<McpServerRecord>(`SELECT ${columns} FROM mcp_servers WHERE id = $1 AND tenant_id = $2`, [
      serverId,
      tenantId,
    ]);
    return rows[0];
  }

  async findMany(tenantId: string, serverIds: readonly string[]): Promise<McpServerRecord[]> {
    if (serverIds.length === 0) return [];
    const { rows } = await this.#db.query<McpServerRecord>(
      `SELECT ${columns} FROM mcp_servers WHERE tenant_id = $1 AND id = ANY($2::text[]) ORDER BY created_at, id`,
      [tenantId, [...serverIds]],
    );
    return rows;
  }

  async list(tenantId: string, limit: number, after?: CreatedAtPosition): Promise<McpServerRecord[]> {
    const { rows } = await this.#db.query<McpServerRecord>(
      `SELECT ${columns} FROM mcp_servers
        WHERE tenant_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) > ($2::timestamptz, $3::text))
        ORDER BY created_at, id LIMIT $4`,
      [tenantId, after?.createdAt ?? null, after?.id ?? '', limit + 1],
    );
    return rows;
  }

  async update(tenantId: string, serverId: string, f: McpServerFields): Promise<McpServerRecord | undefined> {
    try {
      const { rows } = await this.#db.query<McpServerRecord>(
        `UPDATE mcp_servers SET name = $3, url = $4, auth_header = $5, auth_sealed = $6, allow_tools = $7, deny_tools = $8,
                enabled = $9, timeout_ms = $10, version = version + 1, updated_at = date_trunc('milliseconds', clock_timestamp())
          WHERE id = $1 AND tenant_id = $2 RETURNING ${columns}`,
        [serverId, tenantId, f.name, f.url, f.authHeader, f.authSealed, f.allowTools, f.denyTools, f.enabled, f.timeoutMs],
      );
      return rows[0];
    } catch (error) {
      if (codeOf(error) === UNIQUE_VIOLATION) throw nameTaken(f.name);
      throw error;
    }
  }

  async delete(tenantId: string, serverId: string): Promise<boolean> {
    const { rowCount } = await this.#db.query('DELETE FROM mcp_servers WHERE id = $1 AND tenant_id = $2', [serverId, tenantId]);
    return (rowCount ?? 0) > 0;
  }
}
