/** PostgreSQL access to the template tables. Every tenant-facing query is scoped by tenant. */
import type { Queryable } from '#shared/db.ts';
import { NotFoundError } from '#shared/errors.ts';
import { toStoredJson } from '#shared/stored-json.ts';
import type { TemplateRecord, TemplateRepository, TemplateVersionRecord } from './template.ts';

const columns = `id AS "templateId", tenant_id AS "tenantId", name, description, latest_version AS "latestVersion", created_by AS "createdBy",
  created_at AS "createdAt", updated_at AS "updatedAt"`;
const versionColumns = `version, object_key AS "objectKey", sha256, bytes, nodes_count AS "nodesCount", source, created_by AS "createdBy", created_at AS "createdAt"`;

export class PgTemplateRepository implements TemplateRepository {
  readonly #db: Queryable;
  constructor(db: Queryable) {
    this.#db = db;
  }

  async create(
    t: { templateId: string; tenantId: string; name: string; description: string; createdBy: string },
    v1: Omit<TemplateVersionRecord, 'createdAt' | 'version'>,
  ): Promise<TemplateRecord> {
    try {
      const { rows } = await this.#db.query<TemplateRecord>(
        `WITH t AS (INSERT INTO n8n_templates (id, tenant_id, name, description, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING *),
              v AS (INSERT INTO n8n_template_versions (template_id, version, object_key, sha256, bytes, nodes_count, source, created_by)
                    SELECT id, 1, $6, $7, $8, $9, $10, $5 FROM t RETURNING 1)
         SELECT ${columns} FROM t, v`,
        [t.templateId, t.tenantId, t.name, t.description, t.createdBy, v1.objectKey, v1.sha256, v1.bytes, v1.nodesCount, toStoredJson(v1.source)],
      );
      return rows[0]!;
    } catch (error) {
      if ((error as { code?: string }).code === '23503') throw new NotFoundError(`Tenant ${t.tenantId} does not exist`);
      throw error;
    }
  }

  async find(tenantId: string, templateId: string): Promise<TemplateRecord | undefined> {
    const { rows } = await this.#db.query<TemplateRecord>(`SELECT ${columns} FROM n8n_templates WHERE id = $1 AND tenant_id = $2`, [
      templateId,
      tenantId,
    ]);
    return rows[0];
  }

  async list(tenantId: string, limit: number, after?: { at: string; id: string }): Promise<TemplateRecord[]> {
    const { rows } = await this.#db.query<TemplateRecord>(
      `SELECT ${columns} FROM n8n_templates WHERE tenant_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) > ($2::timestamptz, $3::text))
        ORDER BY created_at, id LIMIT $4`,
      [tenantId, after?.at ?? null, after?.id ?? '', limit + 1],
    );
    return rows;
  }

  async addVersion(
    tenantId: string,
    templateId: string,
    v: Omit<TemplateVersionRecord, 'createdAt' | 'version'> & { objectKeyOf: (version: number) => string },
  ): Promise<TemplateVersionRecord> {
    const { rows: heads } = await this.#db.query<{ version: number }>(
      `UPDATE n8n_templates SET latest_version = latest_version + 1, updated_at = date_trunc('milliseconds', clock_timestamp())
        WHERE id = $1 AND tenant_id = $2 RETURNING latest_version AS version`,
      [templateId, tenantId],
    );
    if (!heads[0]) throw new NotFoundError(`No template ${templateId}`);
    const version = heads[0].version;
    const { rows } = await this.#db.query<TemplateVersionRecord>(
      `INSERT INTO n8n_template_versions (template_id, version, object_key, sha256, bytes, nodes_count, source, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${versionColumns}`,
      [templateId, version, v.objectKeyOf(version), v.sha256, v.bytes, v.nodesCount, toStoredJson(v.source), v.createdBy],
    );
    return rows[0]!;
  }

  async version(templateId: string, version: number): Promise<TemplateVersionRecord | undefined> {
    const { rows } = await this.#db.query<TemplateVersionRecord>(
      `SELECT ${versionColumns} FROM n8n_template_versions WHERE template_id = $1 AND version = $2`,
      [templateId, version],
    );
    return rows[0];
  }

  async versions(templateId: string, limit: number, before?: number): Promise<TemplateVersionRecord[]> {
    const { rows } = await this.#db.query<TemplateVersionRecord>(
      `SELECT ${versionColumns} FROM n8n_template_versions WHERE template_id = $1 AND ($2::int IS NULL OR version < $2) ORDER BY version DESC LIMIT $3`,
      [templateId, before ?? null, limit + 1],
    );
    return rows;
  }

  async delete(tenantId: string, templateId: string): Promise<string[]> {
    const { rows } = await this.#db.query<{ key: string }>(
      `WITH t AS (DELETE FROM n8n_templates WHERE id = $1 AND tenant_id = $2 RETURNING id)
       SELECT v.object_key AS key FROM n8n_template_versions v JOIN t ON t.id = v.template_id`,
      [templateId, tenantId],
    );
    return rows.map((r) => r.key);
  }

  async deployment(templateId: string, instanceId: string): Promise<string | undefined> {
    const { rows } = await this.#db.query<{ workflowId: string }>(
      'SELECT workflow_id AS "workflowId" FROM n8n_template_deployments WHERE template_id = $1 AND instance_id = $2',
      [templateId, instanceId],
    );
    return rows[0]?.workflowId;
  }

  async recordDeployment(templateId: string, instanceId: string, workflowId: string, version: number): Promise<void> {
    await this.#db.query(
      `INSERT INTO n8n_template_deployments (template_id, instance_id, workflow_id, version) VALUES ($1, $2, $3, $4)
       ON CONFLICT (template_id, instance_id) DO UPDATE SET workflow_id = $3, version = $4, deployed_at = now()`,
      [templateId, instanceId, workflowId, version],
    );
  }
}
