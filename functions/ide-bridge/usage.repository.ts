/** Model tokens of the IDE routes in PostgreSQL (ide_model_usage), plus a Powertools metric per call. */
import type { Queryable } from '#shared/db.ts';
import { metrics, MetricUnit } from '#shared/observability.ts';
import type { UsageRecord, UsageRepository, UsageTotal } from './usage.ts';

export class PgUsageRepository implements UsageRepository {
  readonly #db: Queryable;
  constructor(db: Queryable) {
    this.#db = db;
  }

  async record(entry: UsageRecord): Promise<void> {
    await this.#db.query(
      `INSERT INTO ide_model_usage (tenant_id, user_id, route, provider, model, input_tokens, output_tokens) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [entry.tenantId, entry.userId, entry.route, entry.provider, entry.model, entry.inputTokens, entry.outputTokens],
    );
    // Per provider and route, not per tenant (a dimension per tenant would be a metric per tenant): the table has those.
    const metric = metrics.singleMetric();
    metric.addDimensions({ provider: entry.provider, route: entry.route });
    metric.addMetric('IdeModelInputTokens', MetricUnit.Count, entry.inputTokens);
    metric.addMetric('IdeModelOutputTokens', MetricUnit.Count, entry.outputTokens);
  }

  async totals(tenantId: string, from: Date, to: Date): Promise<UsageTotal[]> {
    // Sums are bigint (pg hands those over as strings): a busy tenant passes 2^31 tokens within a year.
    const { rows } = await this.#db.query<{ provider: string; model: string; calls: string; inputTokens: string; outputTokens: string }>(
      `SELECT provider, model, count(*) AS calls, sum(input_tokens) AS "inputTokens", sum(output_tokens) AS "outputTokens"
         FROM ide_model_usage
        WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3
        GROUP BY provider, model
        ORDER BY sum(input_tokens + output_tokens) DESC, provider, model`,
      [tenantId, from, to],
    );
    return rows.map((r) => ({ ...r, calls: Number(r.calls), inputTokens: Number(r.inputTokens), outputTokens: Number(r.outputTokens) }));
  }
}
