/**
 * PostgreSQL access to `n8n_workflows` and `n8n_executions`. Pages are written in one statement each
 * (jsonb_to_recordset), so a 250-item page is one round trip, and re-writing a page is harmless (upsert).
 */
import type { Queryable } from '#shared/db.ts';
import { toStoredJson } from '#shared/stored-json.ts';
import { FINAL_STATUSES, type N8nExecution, type N8nWorkflowSummary } from '../n8n/n8n-api.ts';
import type { SyncStore } from './sync-store.ts';

const finalList = [...FINAL_STATUSES];

export class PgSyncStore implements SyncStore {
  readonly #db: Queryable;
  constructor(db: Queryable) {
    this.#db = db;
  }

  async upsertWorkflows(instanceId: string, tenantId: string, workflows: N8nWorkflowSummary[]): Promise<void> {
    if (workflows.length === 0) return;
    await this.#db.query(
      `INSERT INTO n8n_workflows (instance_id, workflow_id, tenant_id, name, active, archived, tags, nodes_count, created_at, updated_at, deleted_at, synced_at)
       SELECT $1, w.id, $2, w.name, w.active, w.archived, ARRAY(SELECT jsonb_array_elements_text(w.tags)), w."nodesCount",
              w."createdAt"::timestamptz, w."updatedAt"::timestamptz, NULL, now()
         FROM jsonb_to_recordset($3::jsonb) AS w(id text, name text, active boolean, archived boolean, tags jsonb, "nodesCount" int, "createdAt" text, "updatedAt" text)
       ON CONFLICT (instance_id, workflow_id) DO UPDATE SET name = EXCLUDED.name, active = EXCLUDED.active, archived = EXCLUDED.archived,
         tags = EXCLUDED.tags, nodes_count = EXCLUDED.nodes_count, created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at,
         deleted_at = NULL, synced_at = now()`,
      [instanceId, tenantId, toStoredJson(workflows)],
    );
  }

  async markMissingWorkflowsDeleted(instanceId: string, seenIds: string[]): Promise<number> {
    const { rowCount } = await this.#db.query(
      `UPDATE n8n_workflows SET deleted_at = now(), active = false
        WHERE instance_id = $1 AND deleted_at IS NULL AND NOT (workflow_id = ANY($2::text[]))`,
      [instanceId, seenIds],
    );
    return rowCount ?? 0;
  }

  async statusesOf(instanceId: string, ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const { rows } = await this.#db.query<{ id: string; status: string }>(
      'SELECT execution_id::text AS id, status FROM n8n_executions WHERE instance_id = $1 AND execution_id = ANY($2::bigint[])',
      [instanceId, ids],
    );
    return new Map(rows.map((r) => [r.id, r.status]));
  }

  async upsertExecutions(instanceId: string, tenantId: string, executions: N8nExecution[]): Promise<void> {
    if (executions.length === 0) return;
    const rows = executions.map((e) => ({
      id: e.id,
      workflowId: e.workflowId,
      status: e.status,
      mode: e.mode,
      startedAt: e.startedAt,
      stoppedAt: e.stoppedAt,
      retryOf: e.retryOf !== null && /^\d{1,19}$/.test(e.retryOf) ? e.retryOf : null,
      errorMessage: e.error?.message ?? null,
      errorNode: e.error?.node ?? null,
      detailed: e.error !== undefined,
    }));
    await this.#db.query(
      `INSERT INTO n8n_executions (instance_id, execution_id, tenant_id, workflow_id, status, mode, started_at, stopped_at, duration_ms, finished,
                                   retry_of, error_message, error_node, detailed, checked_at)
       SELECT $1, e.id::bigint, $2, e."workflowId", e.status, e.mode, e."startedAt"::timestamptz, e."stoppedAt"::timestamptz,
              CASE WHEN e."startedAt" IS NOT NULL AND e."stoppedAt" IS NOT NULL
                   THEN GREATEST(0, (extract(epoch FROM (e."stoppedAt"::timestamptz - e."startedAt"::timestamptz)) * 1000)::bigint) END,
              e.status = ANY($4::text[]), e."retryOf"::bigint, e."errorMessage", e."errorNode", e.detailed, now()
         FROM jsonb_to_recordset($3::jsonb) AS e(id text, "workflowId" text, status text, mode text, "startedAt" text, "stoppedAt" text,
              "retryOf" text, "errorMessage" text, "errorNode" text, detailed boolean)
       ON CONFLICT (instance_id, execution_id) DO UPDATE SET workflow_id = EXCLUDED.workflow_id, status = EXCLUDED.status, mode = EXCLUDED.mode,
         started_at = EXCLUDED.started_at, stopped_at = EXCLUDED.stopped_at, duration_ms = EXCLUDED.duration_ms, finished = EXCLUDED.finished,
         retry_of = EXCLUDED.retry_of, checked_at = now(), gone = false,
         error_message = CASE WHEN EXCLUDED.detailed THEN EXCLUDED.error_message ELSE n8n_executions.error_message END,
         error_node = CASE WHEN EXCLUDED.detailed THEN EXCLUDED.error_node ELSE n8n_executions.error_node END,
         detailed = n8n_executions.detailed OR EXCLUDED.detailed`,
      [instanceId, tenantId, toStoredJson(rows), finalList],
    );
  }

  async unfinished(instanceId: string, limit: number): Promise<string[]> {
    const { rows } = await this.#db.query<{ id: string }>(
      `SELECT execution_id::text AS id FROM n8n_executions WHERE instance_id = $1 AND NOT finished AND NOT gone ORDER BY checked_at, execution_id LIMIT $2`,
      [instanceId, limit],
    );
    return rows.map((r) => r.id);
  }

  async undetailed(instanceId: string, limit: number): Promise<string[]> {
    const { rows } = await this.#db.query<{ id: string }>(
      `SELECT execution_id::text AS id FROM n8n_executions
        WHERE instance_id = $1 AND status IN ('error', 'crashed') AND NOT detailed AND NOT gone ORDER BY execution_id DESC LIMIT $2`,
      [instanceId, limit],
    );
    return rows.map((r) => r.id);
  }

  async markGone(instanceId: string, id: string): Promise<void> {
    await this.#db.query('UPDATE n8n_executions SET gone = true, checked_at = now() WHERE instance_id = $1 AND execution_id = $2::bigint', [
      instanceId,
      id,
    ]);
  }

  async setFailure(instanceId: string, id: string, error: { message: string | null; node: string | null }): Promise<void> {
    await this.#db.query(
      'UPDATE n8n_executions SET error_message = $3, error_node = $4, detailed = true WHERE instance_id = $1 AND execution_id = $2::bigint',
      [instanceId, id, error.message, error.node],
    );
  }
}
