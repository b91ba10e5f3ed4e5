/**
 * Workflow templates: n8n workflow JSON kept in S3 with numbered versions, validated on the way in (nodes,
 * connections that name existing nodes, no credentials), deployed to an instance (read-only fields stripped;
 * a redeploy updates the workflow it created there) and exported from an instance's workflow into a new
 * version (credentials stripped).
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { NotFoundError, UnprocessableContentError, ValidationError, type FieldError } from '#shared/errors.ts';
import { newId } from '#shared/ids.ts';
import { cursorId, cursorTimestamp, decodeCursor, toPage, type Page } from '#shared/pagination.ts';
import type { Principal } from '#shared/principal.ts';
import { N8nError, type N8nApi, type N8nWorkflowDocument, type N8nWorkflowSummary } from '../n8n/n8n-api.ts';
import type { InstanceRecord, InstanceRepository } from '../instances/instance.ts';
import { templateWorkflow } from '../n8n-monitor.contracts.ts';
import type { SyncStore } from '../sync/sync-store.ts';
import type { TemplateRecord, TemplateRepository, TemplateStorage, TemplateVersionRecord } from './template.ts';

export interface TemplatePorts {
  repo: TemplateRepository;
  storage: TemplateStorage;
  objectKey: (tenantId: string, templateId: string, version: number) => string;
}

export interface DeployPorts extends TemplatePorts {
  instances: InstanceRepository;
  store: SyncStore;
  apiFor: (instance: InstanceRecord) => Promise<N8nApi>;
}

type Workflow = z.output<typeof templateWorkflow>;

/** Parameter names that hold secrets when given literally (an n8n expression, `={{...}}`, is not a literal). */
const SECRET_KEY = /(pass(word)?|secret|token|api[-_]?key|authorization|private[-_]?key|client[-_]?secret)$/i;

const findSecrets = (value: unknown, path: string, out: FieldError[]): void => {
  if (out.length >= 10 || value === null || typeof value !== 'object') return;
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const here = `${path}.${key}`;
    if (typeof v === 'string' && v.length > 0 && !v.startsWith('=') && SECRET_KEY.test(key)) {
      out.push({ path: here, message: 'Looks like a secret; templates carry no credentials (use an n8n credential or an expression)' });
    } else {
      findSecrets(v, here, out);
    }
  }
};

/** Checks what a schema cannot: unique node names, connections between existing nodes, no credentials. */
export const validateWorkflow = (workflow: Workflow, field: string): void => {
  const errors: FieldError[] = [];
  const names = new Set<string>();
  workflow.nodes.forEach((node, i) => {
    if (names.has(node.name)) errors.push({ path: `${field}.nodes.${i}.name`, message: `Another node is named ${node.name}` });
    names.add(node.name);
    if (node.credentials && Object.keys(node.credentials).length > 0) {
      errors.push({ path: `${field}.nodes.${i}.credentials`, message: 'Templates carry no credentials; connect them in n8n after deploying' });
    }
    findSecrets(node.parameters, `${field}.nodes.${i}.parameters`, errors);
  });
  for (const [from, outputs] of Object.entries(workflow.connections)) {
    if (!names.has(from)) errors.push({ path: `${field}.connections.${from}`, message: `No node named ${from}` });
    for (const [type, lists] of Object.entries(outputs)) {
      for (const list of lists) {
        for (const target of list ?? []) {
          if (!names.has(target.node)) errors.push({ path: `${field}.connections.${from}.${type}`, message: `No node named ${target.node}` });
        }
      }
    }
  }
  if (errors.length > 0) throw new ValidationError(`The workflow is not valid: ${errors.map((e) => e.path).join(', ')}`, errors);
};

const stored = (workflow: Workflow) => {
  const json = JSON.stringify(workflow);
  return { json, sha256: createHash('sha256').update(json).digest('hex'), bytes: Buffer.byteLength(json), nodesCount: workflow.nodes.length };
};

const toTemplateView = (t: TemplateRecord) => ({
  templateId: t.templateId,
  name: t.name,
  description: t.description,
  latestVersion: t.latestVersion,
  createdBy: t.createdBy,
  createdAt: t.createdAt.toISOString(),
  updatedAt: t.updatedAt.toISOString(),
});
const toVersionView = (v: TemplateVersionRecord) => ({
  version: v.version,
  sha256: v.sha256,
  bytes: v.bytes,
  nodesCount: v.nodesCount,
  source: v.source,
  createdBy: v.createdBy,
  createdAt: v.createdAt.toISOString(),
});

const requireTemplate = async (repo: TemplateRepository, tenantId: string, templateId: string): Promise<TemplateRecord> => {
  const t = await repo.find(tenantId, templateId);
  if (!t) throw new NotFoundError(`No template ${templateId}`);
  return t;
};

const withWorkflow = async (ports: TemplatePorts, t: TemplateRecord, v: TemplateVersionRecord) => ({
  ...toTemplateView(t),
  version: toVersionView(v),
  workflow: JSON.parse(await ports.storage.get(v.objectKey)) as Record<string, unknown>,
});

export const createTemplate = async (ports: TemplatePorts, caller: Principal, input: { name: string; description: string; workflow: Workflow }) => {
  validateWorkflow(input.workflow, 'body.workflow');
  const templateId = newId('n8t');
  const s = stored(input.workflow);
  const objectKey = ports.objectKey(caller.tenantId, templateId, 1);
  await ports.storage.put(objectKey, s.json);
  const t = await ports.repo.create(
    { templateId, tenantId: caller.tenantId, name: input.name, description: input.description, createdBy: caller.userId },
    { objectKey, sha256: s.sha256, bytes: s.bytes, nodesCount: s.nodesCount, source: { kind: 'upload' }, createdBy: caller.userId },
  );
  return withWorkflow(ports, t, (await ports.repo.version(templateId, 1))!);
};

const addVersion = async (ports: TemplatePorts, caller: Principal, templateId: string, workflow: Workflow, source: Record<string, unknown>) => {
  await requireTemplate(ports.repo, caller.tenantId, templateId);
  const s = stored(workflow);
  const keys: string[] = [];
  const v = await ports.repo.addVersion(caller.tenantId, templateId, {
    objectKey: '',
    objectKeyOf: (version) => {
      const key = ports.objectKey(caller.tenantId, templateId, version);
      keys.push(key);
      return key;
    },
    sha256: s.sha256,
    bytes: s.bytes,
    nodesCount: s.nodesCount,
    source,
    createdBy: caller.userId,
  });
  await ports.storage.put(v.objectKey, s.json);
  return withWorkflow(ports, (await ports.repo.find(caller.tenantId, templateId))!, v);
};

export const addTemplateVersion = async (ports: TemplatePorts, caller: Principal, templateId: string, workflow: Workflow) => {
  validateWorkflow(workflow, 'body.workflow');
  return addVersion(ports, caller, templateId, workflow, { kind: 'upload' });
};

const position = z.object({ at: cursorTimestamp, id: cursorId });

export const listTemplates = async (
  repo: TemplateRepository,
  caller: Principal,
  query: { limit: number; cursor?: string | undefined },
): Promise<Page<ReturnType<typeof toTemplateView>>> => {
  const rows = await repo.list(caller.tenantId, query.limit, decodeCursor(query.cursor, position));
  return toPage(rows, query.limit, toTemplateView, (t) => ({ at: t.createdAt.toISOString(), id: t.templateId }));
};

export const getTemplate = async (ports: TemplatePorts, caller: Principal, templateId: string, version?: number) => {
  const t = await requireTemplate(ports.repo, caller.tenantId, templateId);
  const v = await ports.repo.version(templateId, version ?? t.latestVersion);
  if (!v) throw new NotFoundError(`Template ${templateId} has no version ${version}`);
  return withWorkflow(ports, t, v);
};

export const listTemplateVersions = async (
  repo: TemplateRepository,
  caller: Principal,
  templateId: string,
  query: { limit: number; cursor?: string | undefined },
) => {
  await requireTemplate(repo, caller.tenantId, templateId);
  const before = decodeCursor(query.cursor, z.object({ version: z.int().min(1).max(1_000_000) }));
  const rows = await repo.versions(templateId, query.limit, before?.version);
  return toPage(rows, query.limit, toVersionView, (v) => ({ version: v.version }));
};

export const deleteTemplate = async (ports: TemplatePorts, caller: Principal, templateId: string): Promise<void> => {
  await requireTemplate(ports.repo, caller.tenantId, templateId);
  const keys = await ports.repo.delete(caller.tenantId, templateId);
  await ports.storage.delete(keys);
};

const n8nRefusal = (error: unknown, what: string): never => {
  if (!(error instanceof N8nError)) throw error;
  if (error.kind === 'not-found') throw new NotFoundError(`n8n has no ${what}`);
  throw new UnprocessableContentError(`n8n refused: ${error.message}`);
};

/** What n8n's create/update accept: read-only fields (id, active, versionId, tags, timestamps...) are dropped. */
const writableWorkflow = (name: string, workflow: Workflow): N8nWorkflowDocument => ({
  name,
  nodes: workflow.nodes.map(({ credentials: _credentials, ...node }) => node),
  connections: workflow.connections,
  settings: (workflow.settings as Record<string, unknown> | undefined) ?? {},
});

export const deployTemplate = async (
  ports: DeployPorts,
  caller: Principal,
  templateId: string,
  input: { instanceId: string; activate: boolean; version?: number | undefined },
) => {
  const t = await requireTemplate(ports.repo, caller.tenantId, templateId);
  const instance = await ports.instances.find(caller.tenantId, input.instanceId);
  if (!instance) throw new NotFoundError(`No n8n instance ${input.instanceId}`);
  const version = input.version ?? t.latestVersion;
  const v = await ports.repo.version(templateId, version);
  if (!v) throw new NotFoundError(`Template ${templateId} has no version ${version}`);
  const workflow = templateWorkflow.parse(JSON.parse(await ports.storage.get(v.objectKey)));
  const body = writableWorkflow(workflow.name ?? t.name, workflow);
  const api = await ports.apiFor(instance);
  const previous = await ports.repo.deployment(templateId, instance.instanceId);
  let created = false;
  let summary: N8nWorkflowSummary;
  try {
    const existing = previous ? await api.getWorkflow(previous) : undefined;
    if (existing && previous) {
      summary = await api.updateWorkflow(previous, body);
    } else {
      summary = await api.createWorkflow(body);
      created = true;
    }
    if (input.activate) summary = await api.publishWorkflow(summary.id);
  } catch (error) {
    return n8nRefusal(error, 'such workflow');
  }
  await ports.repo.recordDeployment(templateId, instance.instanceId, summary.id, version);
  await ports.store.upsertWorkflows(instance.instanceId, caller.tenantId, [summary]);
  return { workflowId: `${instance.instanceId}:${summary.id}`, n8nId: summary.id, created, active: summary.active, version };
};

export const exportWorkflow = async (ports: DeployPorts, caller: Principal, templateId: string, workflowId: string) => {
  await requireTemplate(ports.repo, caller.tenantId, templateId);
  const at = workflowId.indexOf(':');
  const [instanceId, n8nId] = [workflowId.slice(0, at), workflowId.slice(at + 1)];
  const instance = await ports.instances.find(caller.tenantId, instanceId);
  if (!instance) throw new NotFoundError(`No n8n instance ${instanceId}`);
  const api = await ports.apiFor(instance);
  const doc = await api.getWorkflow(n8nId).catch((error: unknown) => n8nRefusal(error, `workflow ${n8nId}`));
  if (!doc) throw new NotFoundError(`n8n has no workflow ${n8nId}`);
  const parsed = templateWorkflow.safeParse({
    ...doc,
    nodes: (doc.nodes as Array<Record<string, unknown>>).map(({ credentials: _credentials, ...node }) => node),
  });
  if (!parsed.success) throw new UnprocessableContentError(`The n8n workflow cannot be a template: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  const stripped = (doc.nodes as Array<Record<string, unknown>>)
    .filter((n) => n.credentials && Object.keys(n.credentials as object).length > 0)
    .map((n) => n.name);
  return addVersion(ports, caller, templateId, parsed.data, { kind: 'export', workflowId, strippedCredentials: stripped });
};
