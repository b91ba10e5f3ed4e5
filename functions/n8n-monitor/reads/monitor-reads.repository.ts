/** PostgreSQL queries behind the read routes: health and metrics are computed in SQL (percentile_cont, date_bin). */
import type { Queryable } from '#shared/db.ts';
import type { ExecutionRow, MonitorReads, Window, WorkflowRow } from './monitor-reads.ts';

const FAILED = `('error', 'crashed')`;

const healthColumns = (e: string) => `
  count(${e}.*) FILTER (WHERE ${e}.finished)::int AS runs,
  count(${e}.*) FILTER (WHERE ${e}.status IN ${FAILED})::int AS failures,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY ${e}.duration_ms) FILTER (WHERE ${e}.finished) AS p50,
  percentile_cont(0.95) WITHIN GROUP (ORDER BY ${e}.duration_ms) FILTER (WHERE ${e}.finished) AS p95,
  max(${e}.started_at) AS "lastRunAt",
  max(${e}.started_at) FILTER (WHERE ${e}.status IN ${FAILED}) AS "lastFailureAt",
  (array_agg(${e}.error_message ORDER BY ${e}.execution_id DESC) FILTER (WHERE ${e}.status IN ${FAILED}))[1] AS "lastFailureMessage"`;

const workflowColumns = `w.instance_id AS "instanceId", w.workflow_id AS "n8nId", w.name, w.active, w.archived, w.tags,
  w.nodes_count AS "nodesCount", w.updated_at AS "updatedAt", w.deleted_at AS "deletedAt", ${healthColumns('e')}`;

/** A workflow row as the query answers it: the workflow's own columns, then its health's raw aggregates. */
type RawWorkflow = Omit<WorkflowRow, 'health'> & {
  runs: number;
  failures: number;
  p50: number | null;
  p95: number | null;
  lastRunAt: Date | null;
  lastFailureAt: Date | null;
  lastFailureMessage: string | null;
};

const toWorkflow = ({ runs, failures, p50, p95, lastRunAt, lastFailureAt, lastFailureMessage, ...workflow }: RawWorkflow): WorkflowRow => ({
  ...workflow,
  health: {
    runs,
    failures,
    failureRate: runs > 0 ? failures / runs : null,
    p50DurationMs: p50 === null ? null : Number(p50),
    p95DurationMs: p95 === null ? null : Number(p95),
    lastRunAt: lastRunAt?.toISOString() ?? null,
    lastFailureAt: lastFailureAt?.toISOString() ?? null,
    lastFailureMessage,
  },
});

const executionColumns = `e.instance_id AS "instanceId", e.execution_id::text AS "n8nId", e.workflow_id AS "workflowId", w.name AS "workflowName",
  e.status, e.mode, e.finished, e.started_at AS "startedAt", e.stopped_at AS "stoppedAt", e.duration_ms::float8 AS "durationMs",
  e.error_message AS "errorMessage", e.error_node AS "errorNode", e.retry_of::text AS "retryOf", e.gone,
  COALESCE(e.started_at, e.first_seen_at) AS "sortAt"`;

export class PgMonitorReads implements MonitorReads {
  readonly #db: Queryable;
  constructor(db: Queryable) {
    this.#db = db;
  }

  async listWorkflows(
    tenantId: string,
    filter: { instanceId?: string | undefined; includeDeleted: boolean },
    window: Window,
    limit: number,
    after?: { name: string; instanceId: string; n8nId: string },
  ): Promise<WorkflowRow[]> {
    const { rows } = await this.#db.query<RawWorkflow>(
      `SELECT ${workflowColumns}
         FROM n8n_workflows w
         LEFT JOIN n8n_executions e ON e.instance_id = w.instance_id AND e.workflow_id = w.workflow_id AND e.started_at >= $3 AND e.started_at < $4
        WHERE w.tenant_id = $1 AND ($2::text IS NULL OR w.instance_id = $2) AND ($5 OR w.deleted_at IS NULL)
          AND ($6::text IS NULL OR (w.name, w.instance_id, w.workflow_id) > ($6::text, $7::text, $8::text))
        GROUP BY w.instance_id, w.workflow_id
        ORDER BY w.name, w.instance_id, w.workflow_id LIMIT $9`,
      [
        tenantId,
        filter.instanceId ?? null,
        window.from,
        window.to,
        filter.includeDeleted,
        after?.name ?? null,
        after?.instanceId ?? '',
        after?.n8nId ?? '',
        limit + 1,
      ],
    );
    return rows.map(toWorkflow);
  }

  async getWorkflow(tenantId: string, instanceId: string, n8nId: string, window: Window): Promise<WorkflowRow | undefined> {
    const { rows } = await this.#db.query<RawWorkflow>(
      `SELECT ${workflowColumns}
         FROM n8n_workflows w
         LEFT JOIN n8n_executions e ON e.instance_id = w.instance_id AND e.workflow_id = w.workflow_id AND e.started_at >= $4 AND e.started_at < $5
        WHERE w.tenant_id = $1 AND w.instance_id = $2 AND w.workflow_id = $3
        GROUP BY w.instance_id, w.workflow_id`,
      [tenantId, instanceId, n8nId, window.from, window.to],
    );
    return rows[0] && toWorkflow(rows[0]);
  }

  async listExecutions(
    tenantId: string,
    filter: { instanceId?: string | undefined; workflowId?: { instanceId: string; n8nId: string } | undefined; statuses?: string[] | undefined },
    window: { from?: Date | undefined; to?: Date | undefined },
    limit: number,
    after?: { at: string; instanceId: string; n8nId: string },
  ): Promise<ExecutionRow[]> {
    const { rows } = await this.#db.query<ExecutionRow>(
      `SELECT ${executionColumns}
         FROM n8n_executions e LEFT JOIN n8n_workflows w ON w.instance_id = e.instance_id AND w.workflow_id = e.workflow_id
        WHERE e.tenant_id = $1 AND ($2::text IS NULL OR e.instance_id = $2)
          AND ($3::text IS NULL OR (e.instance_id = $3 AND e.workflow_id = $4))
          AND ($5::text[] IS NULL OR e.status = ANY($5))
          AND ($6::timestamptz IS NULL OR COALESCE(e.started_at, e.first_seen_at) >= $6)
          AND ($7::timestamptz IS NULL OR COALESCE(e.started_at, e.first_seen_at) < $7)
          AND ($8::timestamptz IS NULL OR (COALESCE(e.started_at, e.first_seen_at), e.instance_id, e.execution_id) < ($8::timestamptz, $9::text, $10::bigint))
        ORDER BY COALESCE(e.started_at, e.first_seen_at) DESC, e.instance_id DESC, e.execution_id DESC LIMIT $11`,
      [
        tenantId,
        filter.instanceId ?? null,
        filter.workflowId?.instanceId ?? null,
        filter.workflowId?.n8nId ?? null,
        filter.statuses ?? null,
        window.from ?? null,
        window.to ?? null,
        after?.at ?? null,
        after?.instanceId ?? '',
        after?.n8nId ?? '0',
        limit + 1,
      ],
    );
    return rows;
  }

  async getExecution(tenantId: string, instanceId: string, n8nId: string): Promise<ExecutionRow | undefined> {
    const { rows } = await this.#db.query<ExecutionRow>(
      `SELECT ${executionColumns}
         FROM n8n_executions e LEFT JOIN n8n_workflows w ON w.instance_id = e.instance_id AND w.workflow_id = e.workflow_id
        WHERE e.tenant_id = $1 AND e.instance_id = $2 AND e.execution_id = $3::bigint`,
      [tenantId, instanceId, n8nId],
    );
    return rows[0];
  }

  async metrics(
    tenantId: string,
    filter: { instanceId?: string | undefined; workflowId?: { instanceId: string; n8nId: string } | undefined },
    window: Window,
    bucketMinutes: number,
  ) {
    const { rows } = await this.#db.query<{
      start: Date;
      runs: number;
      failures: number;
      p50: number | null;
      p95: number | null;
      max: number | null;
    }>(
      `WITH buckets AS (
         SELECT generate_series(date_bin(make_interval(mins => $6), $4::timestamptz, 'epoch'), $5::timestamptz - interval '1 microsecond', make_interval(mins => $6)) AS start
       ), e AS (
         SELECT date_bin(make_interval(mins => $6), e.started_at, 'epoch') AS start, e.*
           FROM n8n_executions e
          WHERE e.tenant_id = $1 AND e.started_at >= $4 AND e.started_at < $5 AND ($2::text IS NULL OR e.instance_id = $2)
            AND ($3::text IS NULL OR e.workflow_id = $3)
       )
       SELECT b.start, count(e.*) FILTER (WHERE e.finished)::int AS runs, count(e.*) FILTER (WHERE e.status IN ${FAILED})::int AS failures,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY e.duration_ms) FILTER (WHERE e.finished) AS p50,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY e.duration_ms) FILTER (WHERE e.finished) AS p95,
              max(e.duration_ms) FILTER (WHERE e.finished)::float8 AS max
         FROM buckets b LEFT JOIN e ON e.start = b.start
        GROUP BY b.start ORDER BY b.start`,
      [tenantId, filter.workflowId?.instanceId ?? filter.instanceId ?? null, filter.workflowId?.n8nId ?? null, window.from, window.to, bucketMinutes],
    );
    return rows.map((r) => ({
      start: r.start,
      runs: r.runs,
      failures: r.failures,
      p50DurationMs: r.p50 === null ? null : Number(r.p50),
      p95DurationMs: r.p95 === null ? null : Number(r.p95),
      maxDurationMs: r.max,
    }));
  }
}
