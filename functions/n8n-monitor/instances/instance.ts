/** Registered n8n instances: the record and its storage port (PostgreSQL in instance.repository.ts). */

/** An unfinished walk down the execution list, resumed by the next sync. */
export interface SyncWalk {
  /** n8n's cursor for the next page; null: start from the newest. */
  cursor: string | null;
  /** Stop at this id (the high-water mark when the walk began); null: walk to the oldest. */
  target: string | null;
  /** The newest id seen by this walk: the next high-water mark once it completes. */
  top: string | null;
}

export interface InstanceRecord {
  instanceId: string;
  tenantId: string;
  name: string;
  baseUrl: string;
  apiKeySealed: string;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
  highWaterId: string | null;
  walk: SyncWalk | null;
  lastSyncAt: Date | null;
  lastSuccessAt: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
  consecutiveFailures: number;
}

export interface KeysetPosition {
  at: string;
  id: string;
}

export interface InstanceRepository {
  /** ConflictError when the tenant already has an instance of that name. */
  create(input: {
    instanceId: string;
    tenantId: string;
    name: string;
    baseUrl: string;
    apiKeySealed: string;
    createdBy: string;
  }): Promise<InstanceRecord>;
  find(tenantId: string, instanceId: string): Promise<InstanceRecord | undefined>;
  list(tenantId: string, limit: number, after?: KeysetPosition): Promise<InstanceRecord[]>;
  /** Every tenant's instances: what the scheduled poll syncs. */
  listAll(): Promise<InstanceRecord[]>;
  update(
    tenantId: string,
    instanceId: string,
    fields: { name?: string; baseUrl?: string; apiKeySealed?: string },
  ): Promise<InstanceRecord | undefined>;
  /** A new URL or key starts the sync history over (the old high-water mark may mean nothing there). */
  resetSync(instanceId: string): Promise<void>;
  delete(tenantId: string, instanceId: string): Promise<boolean>;
  /** Takes the sync lease for `seconds` unless someone holds it; true when taken. */
  lease(instanceId: string, seconds: number): Promise<boolean>;
  release(instanceId: string): Promise<void>;
  saveWalk(instanceId: string, walk: SyncWalk | null, highWaterId?: string | null): Promise<void>;
  recordSuccess(instanceId: string, at: Date): Promise<void>;
  recordFailure(instanceId: string, message: string, at: Date): Promise<void>;
}
