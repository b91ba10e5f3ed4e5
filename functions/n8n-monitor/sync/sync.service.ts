/**
 * Syncing one n8n instance, incrementally and idempotently:
 *
 * 1. Workflows: every page of the listing is upserted; after a complete listing, workflows it no longer has
 *    are marked deleted (their executions stay).
 * 2. Executions: n8n lists newest first, so the walk pages down from the newest to the stored high-water id
 *    (the newest id below which everything has been seen) and upserts what is above it. The walk is saved
 *    after every page (cursor, target, newest id seen), so a failure, a 429 or the time budget ends it where
 *    it stopped and the next sync resumes there; only a completed walk moves the high-water mark. Ids that
 *    n8n pruned or deleted meanwhile are simply absent: the walk still ends at or below the mark.
 * 3. Executions stored unfinished (running, waiting, new) are re-fetched one by one until they end; one that
 *    n8n no longer has is marked gone and left as last seen.
 * 4. Failures get their error message and failing node from one `includeData` read each, once.
 *
 * Upserts are keyed by instance and n8n id, so re-reading a page (after a crash between write and save)
 * counts nothing twice. A sync holds a lease on its instance, so the schedule and `POST .../sync` never run
 * two walks of one instance at once; one instance failing never touches another's sync.
 */
import type { NewChannelEvent } from '#shared/channel-events.ts';
import { FINAL_STATUSES, FAILED_STATUSES, N8N_MAX_PAGE, N8nError, type N8nApi, type N8nExecution } from '../n8n/n8n-api.ts';
import type { InstanceRecord, InstanceRepository, SyncWalk } from '../instances/instance.ts';
import type { SyncStore } from './sync-store.ts';

export interface MonitorEvents {
  /** Appends events to the tenant's `n8n` channel (stored, then pushed to subscribers). */
  publish(tenantId: string, events: NewChannelEvent[]): Promise<void>;
}

export interface SyncPorts {
  instances: InstanceRepository;
  store: SyncStore;
  /** The API of one instance (its key unsealed by the composition root). */
  apiFor: (instance: InstanceRecord) => Promise<N8nApi>;
  events: MonitorEvents;
  now?: () => Date;
}

export interface SyncOptions {
  /** Stop starting new requests after this time (epoch ms); the walk resumes next time. */
  deadline: number;
  pageSize?: number;
  /** Unfinished executions re-fetched per sync, at most. */
  maxRefetch?: number;
  /** Failures whose details are read per sync, at most. */
  maxDetails?: number;
  /** How long the lease lasts (seconds); longer than any sync may take. */
  leaseSeconds?: number;
}

export interface SyncResult {
  instanceId: string;
  outcome: 'synced' | 'partial' | 'failed' | 'busy';
  /** Executions stored for the first time by this sync. */
  newExecutions: number;
  /** Executions that reached a final status in this sync. */
  finished: number;
  failures: number;
  workflows: number;
  /** n8n requests made. */
  requests: number;
  error?: string;
  /** 429: when n8n asked to come back. */
  retryAfterSeconds?: number;
}

/** Events per sync, at most; a backfill (first sync) publishes only the summary. */
const MAX_EXECUTION_EVENTS = 50;

const executionEvent = (instanceId: string, e: N8nExecution) => ({
  kind: 'n8n.execution',
  data: {
    id: `${instanceId}:${e.id}`,
    instanceId,
    n8nId: e.id,
    workflowId: e.workflowId,
    status: e.status,
    startedAt: e.startedAt,
    stoppedAt: e.stoppedAt,
  },
});

class Budget extends Error {}

const countingApi = (api: N8nApi, counter: { requests: number }, deadline: number): N8nApi =>
  new Proxy(api, {
    get: (target, prop, receiver) => {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (Date.now() >= deadline) throw new Budget();
        counter.requests += 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });

export const syncInstance = async (ports: SyncPorts, instance: InstanceRecord, options: SyncOptions): Promise<SyncResult> => {
  const now = ports.now ?? (() => new Date());
  const result: SyncResult = {
    instanceId: instance.instanceId,
    outcome: 'synced',
    newExecutions: 0,
    finished: 0,
    failures: 0,
    workflows: 0,
    requests: 0,
  };
  if (!(await ports.instances.lease(instance.instanceId, options.leaseSeconds ?? 900))) return { ...result, outcome: 'busy' };
  const pageSize = Math.min(options.pageSize ?? N8N_MAX_PAGE, N8N_MAX_PAGE);
  const firstSync = instance.highWaterId === null && instance.walk === null;
  const events: NewChannelEvent[] = [];
  const { instanceId, tenantId } = instance;
  try {
    const api = countingApi(await ports.apiFor(instance), result, options.deadline);

    // 1. Workflows.
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await api.listWorkflows({ limit: pageSize, cursor });
      await ports.store.upsertWorkflows(instanceId, tenantId, page.items);
      seen.push(...page.items.map((w) => w.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    result.workflows = seen.length;
    await ports.store.markMissingWorkflowsDeleted(instanceId, seen);

    // 2. New executions, newest first down to the high-water mark.
    let walk: SyncWalk = instance.walk ?? { cursor: null, target: instance.highWaterId, top: null };
    const target = walk.target === null ? null : BigInt(walk.target);
    for (;;) {
      const page = await api.listExecutions({ limit: pageSize, cursor: walk.cursor ?? undefined });
      const above = page.items.filter((e) => target === null || BigInt(e.id) > target);
      const reached = above.length < page.items.length || page.nextCursor === null;
      if (above.length > 0) {
        const before = await ports.store.statusesOf(
          instanceId,
          above.map((e) => e.id),
        );
        await ports.store.upsertExecutions(instanceId, tenantId, above);
        for (const e of above) {
          const previous = before.get(e.id);
          if (previous === undefined) result.newExecutions += 1;
          if (FINAL_STATUSES.has(e.status) && previous !== e.status) {
            result.finished += 1;
            if (FAILED_STATUSES.has(e.status)) result.failures += 1;
            if (!firstSync && events.length < MAX_EXECUTION_EVENTS) events.push(executionEvent(instanceId, e));
          }
        }
        const newest = above.reduce((max, e) => (BigInt(e.id) > max ? BigInt(e.id) : max), BigInt(walk.top ?? '0'));
        walk = { ...walk, top: newest === 0n ? walk.top : newest.toString() };
      }
      if (reached) {
        await ports.instances.saveWalk(instanceId, null, walk.top ?? walk.target);
        break;
      }
      walk = { ...walk, cursor: page.nextCursor };
      await ports.instances.saveWalk(instanceId, walk);
    }

    // 3. Unfinished executions, until they end.
    for (const id of await ports.store.unfinished(instanceId, options.maxRefetch ?? 100)) {
      const current = await api.getExecution(id, { includeData: false });
      if (!current) {
        await ports.store.markGone(instanceId, id);
        continue;
      }
      await ports.store.upsertExecutions(instanceId, tenantId, [current]);
      if (FINAL_STATUSES.has(current.status)) {
        result.finished += 1;
        if (FAILED_STATUSES.has(current.status)) result.failures += 1;
        if (events.length < MAX_EXECUTION_EVENTS) events.push(executionEvent(instanceId, current));
      }
    }

    // 4. Why the failures failed (includeData only for them).
    for (const id of await ports.store.undetailed(instanceId, options.maxDetails ?? 200)) {
      try {
        const detailed = await api.getExecution(id, { includeData: true });
        if (!detailed) await ports.store.markGone(instanceId, id);
        await ports.store.setFailure(instanceId, id, detailed?.error ?? { message: null, node: null });
      } catch (error) {
        // One huge or unreadable execution must not block the others behind it.
        if (!(error instanceof N8nError) || (error.kind !== 'too-large' && error.kind !== 'malformed')) throw error;
        await ports.store.setFailure(instanceId, id, { message: `(error details not readable: ${error.message})`, node: null });
      }
    }
    await ports.instances.recordSuccess(instanceId, now());
  } catch (error) {
    if (error instanceof Budget) {
      result.outcome = 'partial';
      await ports.instances.recordSuccess(instanceId, now());
    } else {
      result.outcome = 'failed';
      result.error = error instanceof N8nError ? error.message : 'The sync failed unexpectedly';
      if (error instanceof N8nError && error.retryAfterSeconds !== undefined) result.retryAfterSeconds = error.retryAfterSeconds;
      await ports.instances.recordFailure(instanceId, result.error, now());
      if (!(error instanceof N8nError)) throw error;
    }
  } finally {
    await ports.instances.release(instanceId).catch(() => undefined);
    const changed = result.newExecutions > 0 || result.finished > 0 || result.outcome === 'failed' || instance.lastError !== null;
    if (changed) {
      const summary = {
        kind: 'n8n.sync',
        data: {
          instanceId,
          outcome: result.outcome,
          newExecutions: result.newExecutions,
          finished: result.finished,
          failures: result.failures,
          ...(result.error ? { error: result.error } : {}),
        },
      };
      await ports.events.publish(tenantId, [...events, summary]).catch(() => undefined);
    }
  }
  return result;
};

/**
 * The scheduled poll: every registered instance, a few at a time, each in its own try so one instance down
 * (or one bug) never stops the others. Returns each instance's result.
 */
export const syncAll = async (
  ports: SyncPorts,
  options: SyncOptions & { concurrency?: number; afterTenant?: (tenantId: string) => Promise<void> },
): Promise<SyncResult[]> => {
  const instances = await ports.instances.listAll();
  const results: SyncResult[] = [];
  let next = 0;
  const worker = async () => {
    while (next < instances.length) {
      const instance = instances[next++]!;
      try {
        results.push(await syncInstance(ports, instance, options));
      } catch (error) {
        results.push({
          instanceId: instance.instanceId,
          outcome: 'failed',
          newExecutions: 0,
          finished: 0,
          failures: 0,
          workflows: 0,
          requests: 0,
          error: (error as Error)?.message ?? 'failed',
        });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
  if (options.afterTenant) {
    for (const tenantId of new Set(instances.map((i) => i.tenantId))) await options.afterTenant(tenantId).catch(() => undefined);
  }
  return results;
};
