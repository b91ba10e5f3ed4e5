/** Workflow templates: records and ports (PostgreSQL rows in template.repository.ts, JSON in S3 via template-storage.adapter.ts). */

export interface TemplateRecord {
  templateId: string;
  tenantId: string;
  name: string;
  description: string;
  latestVersion: number;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface TemplateVersionRecord {
  version: number;
  objectKey: string;
  sha256: string;
  bytes: number;
  nodesCount: number;
  source: Record<string, unknown>;
  createdBy: string;
  createdAt: Date;
}

export interface TemplateRepository {
  create(
    t: { templateId: string; tenantId: string; name: string; description: string; createdBy: string },
    v1: Omit<TemplateVersionRecord, 'createdAt' | 'version'>,
  ): Promise<TemplateRecord>;
  find(tenantId: string, templateId: string): Promise<TemplateRecord | undefined>;
  list(tenantId: string, limit: number, after?: { at: string; id: string }): Promise<TemplateRecord[]>;
  /** The next version number, reserved atomically. */
  addVersion(
    tenantId: string,
    templateId: string,
    v: Omit<TemplateVersionRecord, 'createdAt' | 'version'> & { objectKeyOf: (version: number) => string },
  ): Promise<TemplateVersionRecord>;
  version(templateId: string, version: number): Promise<TemplateVersionRecord | undefined>;
  versions(templateId: string, limit: number, before?: number): Promise<TemplateVersionRecord[]>;
  delete(tenantId: string, templateId: string): Promise<string[]>;
  deployment(templateId: string, instanceId: string): Promise<string | undefined>;
  recordDeployment(templateId: string, instanceId: string, workflowId: string, version: number): Promise<void>;
}

/** Where a template version's JSON is kept in the bucket. */
export const templateKey = (tenantId: string, templateId: string, version: number): string =>
  `n8n-templates/${tenantId}/${templateId}/v${version}.json`;

export interface TemplateStorage {
  put(key: string, json: string): Promise<void>;
  get(key: string): Promise<string>;
  delete(keys: string[]): Promise<void>;
}
