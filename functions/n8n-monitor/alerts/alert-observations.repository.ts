/**
 * What each alert condition is judged on, read from the synced tables in one query per rule. Subjects are
 * `workflow:<instanceId>:<n8n workflow id>` and `instance:<instanceId>`. Only live workflows (not deleted in
 * n8n) of the rule's scope count.
 */
import type { Queryable } from '#shared/db.ts';
import type { AlertObservations, AlertRule, Observation } from './alert.ts';

const FAILED = `('error', 'crashed')`;

export class PgAlertObservations implements AlertObservations {
  readonly #db: Queryable;
  constructor(db: Queryable) {
    this.#db = db;
  }

  async observe(rule: AlertRule, now: Date): Promise<Observation[]> {
    const c = rule.condition;
    const scope = [rule.tenantId, rule.instanceId, rule.workflowId, now];
    const workflows = `SELECT w.instance_id, w.workflow_id, w.name, w.active FROM n8n_workflows w
      WHERE w.tenant_id = $1 AND w.deleted_at IS NULL AND ($2::text IS NULL OR w.instance_id = $2) AND ($3::text IS NULL OR w.workflow_id = $3)`;
    type Row = { instanceId: string; workflowId: string; name: string; holds: boolean } & Record<string, unknown>;
    const subjectOf = (r: Row) => `workflow:${r.instanceId}:${r.workflowId}`;
    const toObservation = (r: Row): Observation => {
      const { instanceId, workflowId, name, holds, ...rest } = r;
      return { subject: subjectOf(r), holds, detail: { instanceId, workflowId: `${instanceId}:${workflowId}`, workflowName: name, ...rest } };
    };
    if (c.kind === 'failure-rate') {
      const { rows } = await this.#db.query<Row>(
        `WITH w AS (${workflows})
         SELECT w.instance_id AS "instanceId", w.workflow_id AS "workflowId", w.name,
                count(e.*) FILTER (WHERE e.finished)::int AS runs, count(e.*) FILTER (WHERE e.status IN ${FAILED})::int AS failures,
                (count(e.*) FILTER (WHERE e.finished) >= $6 AND
                 count(e.*) FILTER (WHERE e.status IN ${FAILED})::float8 / NULLIF(count(e.*) FILTER (WHERE e.finished), 0) > $5) AS holds
           FROM w LEFT JOIN n8n_executions e ON e.instance_id = w.instance_id AND e.workflow_id = w.workflow_id
                AND e.started_at >= $4::timestamptz - make_interval(mins => $7) AND e.started_at < $4::timestamptz
          GROUP BY 1, 2, 3`,
        [...scope, c.threshold, c.minRuns, c.windowMinutes],
      );
      return rows.map((r) => toObservation({ ...r, holds: r.holds === true }));
    }
    if (c.kind === 'consecutive-failures') {
      const { rows } = await this.#db.query<Row>(
        `WITH w AS (${workflows}),
              recent AS (
                SELECT e.instance_id, e.workflow_id, e.status,
                       row_number() OVER (PARTITION BY e.instance_id, e.workflow_id ORDER BY e.execution_id DESC) AS n
                  FROM n8n_executions e JOIN w ON e.instance_id = w.instance_id AND e.workflow_id = w.workflow_id
                 WHERE e.finished AND e.started_at < $4::timestamptz)
         SELECT w.instance_id AS "instanceId", w.workflow_id AS "workflowId", w.name,
                count(r.*) FILTER (WHERE r.status IN ${FAILED})::int AS "recentFailures",
                (count(r.*) = $5 AND bool_and(r.status IN ${FAILED})) AS holds
           FROM w LEFT JOIN recent r ON r.instance_id = w.instance_id AND r.workflow_id = w.workflow_id AND r.n <= $5
          GROUP BY 1, 2, 3`,
        [...scope, c.count],
      );
      return rows.map((r) => toObservation({ ...r, holds: r.holds === true }));
    }
    if (c.kind === 'duration') {
      const { rows } = await this.#db.query<Row>(
        `WITH w AS (${workflows})
         SELECT w.instance_id AS "instanceId", w.workflow_id AS "workflowId", w.name,
                max(CASE WHEN e.finished THEN e.duration_ms
                         WHEN e.started_at IS NOT NULL AND NOT e.gone THEN (extract(epoch FROM ($4::timestamptz - e.started_at)) * 1000)::bigint END)::float8 AS "maxDurationMs",
                coalesce(max(CASE WHEN e.finished THEN e.duration_ms
                         WHEN e.started_at IS NOT NULL AND NOT e.gone THEN (extract(epoch FROM ($4::timestamptz - e.started_at)) * 1000)::bigint END) > $5, false) AS holds
           FROM w LEFT JOIN n8n_executions e ON e.instance_id = w.instance_id AND e.workflow_id = w.workflow_id
                AND (e.started_at >= $4::timestamptz - make_interval(mins => $6) OR (NOT e.finished AND NOT e.gone))
          GROUP BY 1, 2, 3`,
        [...scope, c.maxDurationMs, c.windowMinutes],
      );
      return rows.map((r) => toObservation({ ...r, holds: r.holds === true }));
    }
    if (c.kind === 'no-success') {
      const { rows } = await this.#db.query<Row>(
        `WITH w AS (${workflows} AND w.active)
         SELECT w.instance_id AS "instanceId", w.workflow_id AS "workflowId", w.name,
                max(e.stopped_at) AS "lastSuccessAt",
                (max(e.stopped_at) IS NULL OR max(e.stopped_at) < $4::timestamptz - make_interval(mins => $5)) AS holds
           FROM w LEFT JOIN n8n_executions e ON e.instance_id = w.instance_id AND e.workflow_id = w.workflow_id AND e.status = 'success'
          GROUP BY 1, 2, 3`,
        [...scope, c.windowMinutes],
      );
      return rows.map((r) => toObservation({ ...r, holds: r.holds === true }));
    }
    const { rows } = await this.#db.query<{ instanceId: string; name: string; failures: number; lastError: string | null }>(
      `SELECT id AS "instanceId", name, consecutive_failures AS failures, last_error AS "lastError" FROM n8n_instances
        WHERE tenant_id = $1 AND ($2::text IS NULL OR id = $2)`,
      [rule.tenantId, rule.instanceId],
    );
    return rows.map((r) => ({
      subject: `instance:${r.instanceId}`,
      holds: r.failures >= c.failures,
      detail: { instanceId: r.instanceId, instanceName: r.name, consecutiveFailures: r.failures, lastError: r.lastError },
    }));
  }
}
