/**
 * Reading what was synced (workflows with health, executions, metrics) and acting through n8n (activate,
 * deactivate, retry, stop). Ids are `<instanceId>:<n8n id>`; another tenant's resource answers 404.
 */
import * as z from 'zod';
import { ConflictError, NotFoundError, UnprocessableContentError, ValidationError } from '#shared/errors.ts';
import { cursorId, cursorTimestamp, decodeCursor, toPage, type Page } from '#shared/pagination.ts';
import type { Principal } from '#shared/principal.ts';
import { N8nError, type N8nApi } from '../n8n/n8n-api.ts';
import type { InstanceRecord, InstanceRepository } from '../instances/instance.ts';
import type { SyncStore } from '../sync/sync-store.ts';
import type { ExecutionRow, MonitorReads, Window, WorkflowRow } from './monitor-reads.ts';

const DAY = 86_400_000;
const MAX_WINDOW_DAYS = 400;

export const splitId = (id: string): { instanceId: string; n8nId: string } => {
  const at = id.indexOf(':');
  return { instanceId: id.slice(0, at), n8nId: id.slice(at + 1) };
};

/** `from`/`to` with their defaults (the last 24 hours), checked: a bad window is a 400 naming the field. */
export const windowOf = (query: { from?: string | undefined; to?: string | undefined }, now = new Date()): Window => {
  const to = query.to ? new Date(query.to) : now;
  const from = query.from ? new Date(query.from) : new Date(to.getTime() - DAY);
  if (from >= to) throw new ValidationError('The window is empty', [{ path: 'query.from', message: 'Must be before `to`' }]);
  if (to.getTime() - from.getTime() > MAX_WINDOW_DAYS * DAY) {
    throw new ValidationError('The window is too long', [{ path: 'query.from', message: `At most ${MAX_WINDOW_DAYS} days before \`to\`` }]);
  }
  return { from, to };
};

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export const toWorkflowView = (w: WorkflowRow, window: Window) => ({
  workflowId: `${w.instanceId}:${w.n8nId}`,
  instanceId: w.instanceId,
  n8nId: w.n8nId,
  name: w.name,
  active: w.active,
  archived: w.archived,
  tags: w.tags,
  nodesCount: w.nodesCount,
  updatedAt: iso(w.updatedAt),
  deletedAt: iso(w.deletedAt),
  health: w.health,
  window: { from: window.from.toISOString(), to: window.to.toISOString() },
});

export const toExecutionView = (e: ExecutionRow) => ({
  executionId: `${e.instanceId}:${e.n8nId}`,
  instanceId: e.instanceId,
  n8nId: e.n8nId,
  workflowId: `${e.instanceId}:${e.workflowId}`,
  workflowName: e.workflowName,
  status: e.status,
  mode: e.mode,
  finished: e.finished,
  startedAt: iso(e.startedAt),
  stoppedAt: iso(e.stoppedAt),
  durationMs: e.durationMs,
  errorMessage: e.errorMessage,
  errorNode: e.errorNode,
  retryOf: e.retryOf === null ? null : `${e.instanceId}:${e.retryOf}`,
  goneFromN8n: e.gone,
});

const workflowPosition = z.object({ name: z.string().max(1000), instanceId: cursorId, n8nId: cursorId });

export const listWorkflows = async (
  reads: MonitorReads,
  caller: Principal,
  query: {
    limit: number;
    cursor?: string | undefined;
    instanceId?: string | undefined;
    from?: string | undefined;
    to?: string | undefined;
    includeDeleted?: 'true' | 'false' | undefined;
  },
): Promise<Page<ReturnType<typeof toWorkflowView>>> => {
  const window = windowOf(query);
  const rows = await reads.listWorkflows(
    caller.tenantId,
    { instanceId: query.instanceId, includeDeleted: query.includeDeleted === 'true' },
    window,
    query.limit,
    decodeCursor(query.cursor, workflowPosition),
  );
  return toPage(
    rows,
    query.limit,
    (w) => toWorkflowView(w, window),
    (w) => ({ name: w.name, instanceId: w.instanceId, n8nId: w.n8nId }),
  );
};

export const getWorkflow = async (
  reads: MonitorReads,
  caller: Principal,
  workflowId: string,
  query: { from?: string | undefined; to?: string | undefined },
) => {
  const window = windowOf(query);
  const { instanceId, n8nId } = splitId(workflowId);
  const row = await reads.getWorkflow(caller.tenantId, instanceId, n8nId, window);
  if (!row) throw new NotFoundError(`No n8n workflow ${workflowId}`);
  return toWorkflowView(row, window);
};

const executionPosition = z.object({ at: cursorTimestamp, instanceId: cursorId, n8nId: z.string().regex(/^\d{1,18}$/) });

export const listExecutions = async (
  reads: MonitorReads,
  caller: Principal,
  query: {
    limit: number;
    cursor?: string | undefined;
    instanceId?: string | undefined;
    workflowId?: string | undefined;
    status?: string | undefined;
    from?: string | undefined;
    to?: string | undefined;
  },
): Promise<Page<ReturnType<typeof toExecutionView>>> => {
  const from = query.from ? new Date(query.from) : undefined;
  const to = query.to ? new Date(query.to) : undefined;
  if (from && to && from >= to) throw new ValidationError('The window is empty', [{ path: 'query.from', message: 'Must be before `to`' }]);
  const rows = await reads.listExecutions(
    caller.tenantId,
    {
      instanceId: query.instanceId,
      workflowId: query.workflowId ? splitId(query.workflowId) : undefined,
      statuses: query.status === undefined ? undefined : query.status === 'failed' ? ['error', 'crashed'] : [query.status],
    },
    { from, to },
    query.limit,
    decodeCursor(query.cursor, executionPosition),
  );
  return toPage(rows, query.limit, toExecutionView, (e) => ({ at: e.sortAt.toISOString(), instanceId: e.instanceId, n8nId: e.n8nId }));
};

export const getExecution = async (reads: MonitorReads, caller: Principal, executionId: string) => {
  const { instanceId, n8nId } = splitId(executionId);
  const row = await reads.getExecution(caller.tenantId, instanceId, n8nId);
  if (!row) throw new NotFoundError(`No n8n execution ${executionId}`);
  return toExecutionView(row);
};

export const getMetrics = async (
  reads: MonitorReads,
  caller: Principal,
  query: { instanceId?: string | undefined; workflowId?: string | undefined; from?: string | undefined; to?: string | undefined; bucket: string },
  bucketMinutes: number,
  maxBuckets: number,
) => {
  const window = windowOf(query);
  const buckets = Math.ceil((window.to.getTime() - window.from.getTime()) / (bucketMinutes * 60_000)) + 1;
  if (buckets > maxBuckets) {
    throw new ValidationError('Too many buckets', [
      { path: 'query.bucket', message: `The window holds ${buckets} buckets of ${query.bucket}; at most ${maxBuckets}` },
    ]);
  }
  const series = await reads.metrics(
    caller.tenantId,
    { instanceId: query.instanceId, workflowId: query.workflowId ? splitId(query.workflowId) : undefined },
    window,
    bucketMinutes,
  );
  return {
    from: window.from.toISOString(),
    to: window.to.toISOString(),
    bucket: query.bucket,
    series: series.map((s) => ({ ...s, start: s.start.toISOString() })),
  };
};

export interface ActionPorts {
  reads: MonitorReads;
  instances: InstanceRepository;
  store: SyncStore;
  apiFor: (instance: InstanceRecord) => Promise<N8nApi>;
}

/** n8n's refusal as the caller's problem: 404 when n8n has no such thing, 409 on a conflict, else 422. */
const throughN8n = async <T>(call: () => Promise<T>, what: string): Promise<T> => {
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof N8nError)) throw error;
    if (error.kind === 'not-found') throw new NotFoundError(`n8n no longer has ${what}`);
    if (error.kind === 'conflict') throw new ConflictError(`n8n refused: ${error.message}`);
    throw new UnprocessableContentError(`n8n refused: ${error.message}`);
  }
};

const instanceOf = async (ports: ActionPorts, caller: Principal, instanceId: string): Promise<InstanceRecord> => {
  const instance = await ports.instances.find(caller.tenantId, instanceId);
  if (!instance) throw new NotFoundError(`No n8n instance ${instanceId}`);
  return instance;
};

export const setWorkflowActive = async (ports: ActionPorts, caller: Principal, workflowId: string, active: boolean) => {
  const { instanceId, n8nId } = splitId(workflowId);
  const window = windowOf({});
  if (!(await ports.reads.getWorkflow(caller.tenantId, instanceId, n8nId, window))) throw new NotFoundError(`No n8n workflow ${workflowId}`);
  const instance = await instanceOf(ports, caller, instanceId);
  const api = await ports.apiFor(instance);
  const summary = await throughN8n(() => (active ? api.publishWorkflow(n8nId) : api.unpublishWorkflow(n8nId)), `workflow ${n8nId}`);
  await ports.store.upsertWorkflows(instanceId, caller.tenantId, [summary]);
  return toWorkflowView((await ports.reads.getWorkflow(caller.tenantId, instanceId, n8nId, window))!, window);
};

export const retryExecution = async (ports: ActionPorts, caller: Principal, executionId: string) => {
  const { instanceId, n8nId } = splitId(executionId);
  if (!(await ports.reads.getExecution(caller.tenantId, instanceId, n8nId))) throw new NotFoundError(`No n8n execution ${executionId}`);
  const instance = await instanceOf(ports, caller, instanceId);
  const api = await ports.apiFor(instance);
  const retry = await throughN8n(() => api.retryExecution(n8nId), `execution ${n8nId}`);
  await ports.store.upsertExecutions(instanceId, caller.tenantId, [retry]);
  return toExecutionView((await ports.reads.getExecution(caller.tenantId, instanceId, retry.id))!);
};

export const stopExecution = async (ports: ActionPorts, caller: Principal, executionId: string) => {
  const { instanceId, n8nId } = splitId(executionId);
  if (!(await ports.reads.getExecution(caller.tenantId, instanceId, n8nId))) throw new NotFoundError(`No n8n execution ${executionId}`);
  const instance = await instanceOf(ports, caller, instanceId);
  const api = await ports.apiFor(instance);
  await throughN8n(() => api.stopExecution(n8nId), `execution ${n8nId}`);
  const current = await throughN8n(() => api.getExecution(n8nId, { includeData: false }), `execution ${n8nId}`);
  if (current) await ports.store.upsertExecutions(instanceId, caller.tenantId, [current]);
  return toExecutionView((await ports.reads.getExecution(caller.tenantId, instanceId, n8nId))!);
};
