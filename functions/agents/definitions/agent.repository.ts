/** PostgreSQL access to `agents` and `agent_versions`. Soft-deleted agents are invisible here. */
import type { CreatedAtPosition } from '#shared/pagination.ts';
import type { Queryable } from '#shared/db.ts';
import { NotFoundError } from '#shared/errors.ts';
import { toStoredJson } from '#shared/stored-json.ts';
import type { AgentDefinition, AgentRecord, AgentRepository, AgentVersionRecord } from './agent.ts';

const columns = `id AS "agentId", tenant_id AS "tenantId", name, description, system_prompt AS "systemPrompt", model,
  tools, max_steps AS "maxSteps", version, created_by AS "createdBy", created_at AS "createdAt", updated_at AS "updatedAt"`;

const versionColumns = `agent_id AS "agentId", version, name, description, system_prompt AS "systemPrompt", model, tools,
  max_steps AS "maxSteps", created_by AS "createdBy", created_at AS "createdAt"`;

const FOREIGN_KEY_VIOLATION = '23503';

export class PgAgentRepository implements AgentRepository {
  readonly #db: Queryable;
  constructor(db: Queryable) {
    this.#db = db;
  }

  async insert(agentId: string, tenantId: string, def: AgentDefinition, createdBy: string | null): Promise<AgentRecord> {
    try {
      const { rows } = await this.#db.query<AgentRecord>(
        `INSERT INTO agents (id, tenant_id, name, description, system_prompt, model, tools, max_steps, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${columns}`,
        [agentId, tenantId, def.name, def.description, def.systemPrompt, toStoredJson(def.model), def.tools, def.maxSteps, createdBy],
      );
      return rows[0]!;
    } catch (error) {
      // A JWT can name a tenant that was never created; that is the caller's problem, not a 500.
      if ((error as { code?: string }).code === FOREIGN_KEY_VIOLATION) throw new NotFoundError(`Tenant ${tenantId} does not exist`);
      throw error;
    }
  }

  /** Freezes the agent's current definition as its version row (same transaction as the agent write). */
  async insertVersion(agent: AgentRecord, createdBy: string | null): Promise<void> {
    await this.#db.query(
      `INSERT INTO agent_versions (agent_id, version, name, description, system_prompt, model, tools, max_steps, created_by, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        agent.agentId,
        agent.version,
        agent.name,
        agent.description,
        agent.systemPrompt,
        toStoredJson(agent.model),
        agent.tools,
        agent.maxSteps,
        createdBy,
        agent.updatedAt,
      ],
    );
  }

  /** `forUpdate` locks the row so that concurrent updates of one agent take versions one after another. */
  async find(tenantId: string, agentId: string, options: { forUpdate?: boolean } = {}): Promise<AgentRecord | undefined> {
    const { rows } = await this.#db.query<AgentRecord>(
      `SELECT ${columns} FROM agents WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL${options.forUpdate ? ' FOR UPDATE' : ''}`,
      [agentId, tenantId],
    );
    return rows[0];
  }

  /** True when the tenant has or had this agent (analytics of a deleted agent stay readable). */
  async existedInTenant(tenantId: string, agentId: string): Promise<boolean> {
    const { rowCount } = await this.#db.query(`SELECT 1 FROM agents WHERE id = $1 AND tenant_id = $2`, [agentId, tenantId]);
    return (rowCount ?? 0) > 0;
  }

  async update(tenantId: string, agentId: string, def: AgentDefinition): Promise<AgentRecord> {
    const { rows } = await this.#db.query<AgentRecord>(
      `UPDATE agents SET name = $3, description = $4, system_prompt = $5, model = $6, tools = $7, max_steps = $8,
              version = version + 1, updated_at = date_trunc('milliseconds', clock_timestamp())
        WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL RETURNING ${columns}`,
      [agentId, tenantId, def.name, def.description, def.systemPrompt, toStoredJson(def.model), def.tools, def.maxSteps],
    );
    return rows[0]!;
  }

  /** Oldest first; `after` is the last row of the previous page. Fetches `limit + 1` to detect a next page. */
  async listByTenant(tenantId: string, limit: number, after?: CreatedAtPosition): Promise<AgentRecord[]> {
    const { rows } = await this.#db.query<AgentRecord>(
      `SELECT ${columns} FROM agents
        WHERE tenant_id = $1 AND deleted_at IS NULL
          AND ($2::timestamptz IS NULL OR (created_at, id) > ($2::timestamptz, $3::text))
        ORDER BY created_at, id LIMIT $4`,
      [tenantId, after?.createdAt ?? null, after?.id ?? '', limit + 1],
    );
    return rows;
  }

  /** False when the tenant has no such live agent. */
  async softDelete(tenantId: string, agentId: string): Promise<boolean> {
    const { rowCount } = await this.#db.query(
      `UPDATE agents SET deleted_at = date_trunc('milliseconds', clock_timestamp())
        WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL`,
      [agentId, tenantId],
    );
    return (rowCount ?? 0) > 0;
  }

  /** Newest first; `beforeVersion` is the last version of the previous page. */
  async listVersions(agentId: string, limit: number, beforeVersion?: number): Promise<AgentVersionRecord[]> {
    const { rows } = await this.#db.query<AgentVersionRecord>(
      `SELECT ${versionColumns} FROM agent_versions
        WHERE agent_id = $1 AND ($2::int IS NULL OR version < $2::int)
        ORDER BY version DESC LIMIT $3`,
      [agentId, beforeVersion ?? null, limit + 1],
    );
    return rows;
  }
}
