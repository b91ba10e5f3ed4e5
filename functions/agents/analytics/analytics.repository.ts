/** Per-agent figures over the executions and execution_steps tables, in one round trip (PostgreSQL). */
import type { Queryable } from '#shared/db.ts';
import type { AnalyticsRepository, AnalyticsRow } from './analytics.ts';

export const TOP_ERRORS = 5;

/**
 * The window selects executions by `created_at` (uses executions_tenant_agent_created_idx); their steps
 * count wherever they fall in time, so a run's figures are never split across windows. Durations are of
 * finished runs that started (a run cancelled while queued has no duration).
 */
const sql = `
WITH e AS (
  SELECT id, status, error, started_at, finished_at FROM executions
   WHERE tenant_id = $1 AND agent_id = $2 AND created_at >= $3 AND created_at < $4
), s AS (
  SELECT st.* FROM execution_steps st JOIN e ON e.id = st.execution_id
), finished AS (
  SELECT extract(epoch FROM finished_at - started_at) * 1000 AS ms FROM e
   WHERE status IN ('succeeded', 'failed', 'cancelled') AND started_at IS NOT NULL AND finished_at IS NOT NULL
)
SELECT
  (SELECT json_build_object(
     'runs', count(*),
     'succeeded', count(*) FILTER (WHERE status = 'succeeded'),
     'failed', count(*) FILTER (WHERE status = 'failed'),
     'cancelled', count(*) FILTER (WHERE status = 'cancelled'),
     'inProgress', count(*) FILTER (WHERE status IN ('queued', 'running', 'waiting_approval')),
     'p50', (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM finished),
     'p95', (SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) FROM finished)
   ) FROM e) AS totals,
  (SELECT coalesce(json_agg(t ORDER BY t."inputTokens" + t."outputTokens" DESC, t.provider, t.model), '[]'::json) FROM (
     SELECT provider, model, count(*) AS calls, coalesce(sum(input_tokens), 0) AS "inputTokens", coalesce(sum(output_tokens), 0) AS "outputTokens"
       FROM s WHERE kind = 'model' GROUP BY provider, model
   ) t) AS tokens,
  (SELECT coalesce(json_agg(t ORDER BY t.calls DESC, t."toolName"), '[]'::json) FROM (
     SELECT tool_name AS "toolName", count(*) AS calls, count(*) FILTER (WHERE error IS NOT NULL) AS errors
       FROM s WHERE kind = 'tool' AND tool_name IS NOT NULL GROUP BY tool_name
   ) t) AS tools,
  (SELECT coalesce(json_agg(t ORDER BY t.count DESC, t.message), '[]'::json) FROM (
     SELECT coalesce(error->>'message', error->>'type', 'unknown error') AS message, count(*) AS count
       FROM e WHERE error IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT ${TOP_ERRORS}
   ) t) AS errors`;

export class PgAnalyticsRepository implements AnalyticsRepository {
  readonly #db: Queryable;
  constructor(db: Queryable) {
    this.#db = db;
  }

  async forAgent(tenantId: string, agentId: string, from: Date, to: Date): Promise<AnalyticsRow> {
    const { rows } = await this.#db.query<AnalyticsRow>(sql, [tenantId, agentId, from, to]);
    return rows[0]!;
  }
}
