/** PostgreSQL access to the alert tables. Every tenant-facing query is scoped by tenant. */
import type { Queryable } from '#shared/db.ts';
import { NotFoundError } from '#shared/errors.ts';
import { toStoredJson } from '#shared/stored-json.ts';
import type { AlertState } from './alert-state.ts';
import type { AlertEventRecord, AlertRepository, AlertRule } from './alert.ts';

const FOREIGN_KEY_VIOLATION = '23503';
const columns = `id AS "alertId", tenant_id AS "tenantId", name, params AS condition, instance_id AS "instanceId", workflow_id AS "workflowId",
  cooldown_minutes AS "cooldownMinutes", enabled, targets, created_by AS "createdBy", created_at AS "createdAt", updated_at AS "updatedAt"`;
const eventColumns = `id::text AS "eventId", rule_id AS "alertId", kind, subject, at, detail, deliveries`;

export class PgAlertRepository implements AlertRepository {
  readonly #db: Queryable;
  constructor(db: Queryable) {
    this.#db = db;
  }

  async create(rule: Omit<AlertRule, 'createdAt' | 'updatedAt'>): Promise<AlertRule> {
    try {
      const { rows } = await this.#db.query<AlertRule>(
        `INSERT INTO n8n_alert_rules (id, tenant_id, name, kind, params, instance_id, workflow_id, cooldown_minutes, enabled, targets, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ${columns}`,
        [
          rule.alertId,
          rule.tenantId,
          rule.name,
          rule.condition.kind,
          toStoredJson(rule.condition),
          rule.instanceId,
          rule.workflowId,
          rule.cooldownMinutes,
          rule.enabled,
          toStoredJson(rule.targets),
          rule.createdBy,
        ],
      );
      return rows[0]!;
    } catch (error) {
      if ((error as { code?: string }).code === FOREIGN_KEY_VIOLATION) throw new NotFoundError('No such tenant or instance');
      throw error;
    }
  }

  async find(tenantId: string, alertId: string): Promise<AlertRule | undefined> {
    const { rows } = await this.#db.query<AlertRule>(`SELECT ${columns} FROM n8n_alert_rules WHERE id = $1 AND tenant_id = $2`, [alertId, tenantId]);
    return rows[0];
  }

  async list(tenantId: string, limit: number, after?: { at: string; id: string }): Promise<AlertRule[]> {
    const { rows } = await this.#db.query<AlertRule>(
      `SELECT ${columns} FROM n8n_alert_rules
        WHERE tenant_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) > ($2::timestamptz, $3::text))
        ORDER BY created_at, id LIMIT $4`,
      [tenantId, after?.at ?? null, after?.id ?? '', limit + 1],
    );
    return rows;
  }

  async listEnabled(tenantId: string): Promise<AlertRule[]> {
    const { rows } = await this.#db.query<AlertRule>(
      `SELECT ${columns} FROM n8n_alert_rules WHERE tenant_id = $1 AND enabled ORDER BY created_at, id`,
      [tenantId],
    );
    return rows;
  }

  async update(rule: AlertRule, resetStates: boolean): Promise<AlertRule> {
    if (resetStates) await this.#db.query('DELETE FROM n8n_alert_states WHERE rule_id = $1', [rule.alertId]);
    const { rows } = await this.#db.query<AlertRule>(
      `UPDATE n8n_alert_rules SET name = $3, kind = $4, params = $5, cooldown_minutes = $6, enabled = $7, targets = $8,
         updated_at = date_trunc('milliseconds', clock_timestamp())
       WHERE id = $1 AND tenant_id = $2 RETURNING ${columns}`,
      [
        rule.alertId,
        rule.tenantId,
        rule.name,
        rule.condition.kind,
        toStoredJson(rule.condition),
        rule.cooldownMinutes,
        rule.enabled,
        toStoredJson(rule.targets),
      ],
    );
    if (!rows[0]) throw new NotFoundError(`No alert rule ${rule.alertId}`);
    return rows[0];
  }

  async delete(tenantId: string, alertId: string): Promise<boolean> {
    const { rowCount } = await this.#db.query('DELETE FROM n8n_alert_rules WHERE id = $1 AND tenant_id = $2', [alertId, tenantId]);
    return (rowCount ?? 0) > 0;
  }

  async states(alertIds: string[]): Promise<Map<string, Map<string, AlertState>>> {
    const out = new Map<string, Map<string, AlertState>>();
    if (alertIds.length === 0) return out;
    const { rows } = await this.#db.query<{ ruleId: string; subject: string } & AlertState>(
      `SELECT rule_id AS "ruleId", subject, firing, fired_at AS "firedAt", clear_since AS "clearSince", resolved_at AS "resolvedAt"
         FROM n8n_alert_states WHERE rule_id = ANY($1::text[])`,
      [alertIds],
    );
    for (const { ruleId, subject, ...state } of rows) {
      if (!out.has(ruleId)) out.set(ruleId, new Map());
      out.get(ruleId)!.set(subject, state);
    }
    return out;
  }

  async saveState(alertId: string, subject: string, state: AlertState): Promise<void> {
    await this.#db.query(
      `INSERT INTO n8n_alert_states (rule_id, subject, firing, fired_at, clear_since, resolved_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (rule_id, subject) DO UPDATE SET firing = $3, fired_at = $4, clear_since = $5, resolved_at = $6`,
      [alertId, subject, state.firing, state.firedAt, state.clearSince, state.resolvedAt],
    );
  }

  async addEvent(event: Omit<AlertEventRecord, 'eventId' | 'at'> & { tenantId: string }): Promise<AlertEventRecord> {
    const { rows } = await this.#db.query<AlertEventRecord>(
      `INSERT INTO n8n_alert_events (rule_id, tenant_id, kind, subject, detail, deliveries) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${eventColumns}`,
      [event.alertId, event.tenantId, event.kind, event.subject, toStoredJson(event.detail), toStoredJson(event.deliveries)],
    );
    return rows[0]!;
  }

  async listEvents(alertId: string, limit: number, beforeId?: string): Promise<AlertEventRecord[]> {
    const { rows } = await this.#db.query<AlertEventRecord>(
      `SELECT ${eventColumns} FROM n8n_alert_events WHERE rule_id = $1 AND ($2::bigint IS NULL OR id < $2::bigint) ORDER BY id DESC LIMIT $3`,
      [alertId, beforeId ?? null, limit],
    );
    return rows;
  }
}
