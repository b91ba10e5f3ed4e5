/** What the read routes show: records and the port that queries them (PostgreSQL in monitor-reads.repository.ts). */

export interface Health {
  runs: number;
  failures: number;
  failureRate: number | null;
  p50DurationMs: number | null;
  p95DurationMs: number | null;
  lastRunAt: string | null;
  lastFailureAt: string | null;
  lastFailureMessage: string | null;
}

export interface WorkflowRow {
  instanceId: string;
  n8nId: string;
  name: string;
  active: boolean;
  archived: boolean;
  tags: string[];
  nodesCount: number;
  updatedAt: Date | null;
  deletedAt: Date | null;
  health: Health;
}

export interface ExecutionRow {
  instanceId: string;
  n8nId: string;
  workflowId: string;
  workflowName: string | null;
  status: string;
  mode: string;
  finished: boolean;
  startedAt: Date | null;
  stoppedAt: Date | null;
  durationMs: number | null;
  errorMessage: string | null;
  errorNode: string | null;
  retryOf: string | null;
  gone: boolean;
  /** Keyset position. */
  sortAt: Date;
}

export interface Window {
  from: Date;
  to: Date;
}

export interface MonitorReads {
  listWorkflows(
    tenantId: string,
    filter: { instanceId?: string | undefined; includeDeleted: boolean },
    window: Window,
    limit: number,
    after?: { name: string; instanceId: string; n8nId: string },
  ): Promise<WorkflowRow[]>;
  getWorkflow(tenantId: string, instanceId: string, n8nId: string, window: Window): Promise<WorkflowRow | undefined>;
  listExecutions(
    tenantId: string,
    filter: { instanceId?: string | undefined; workflowId?: { instanceId: string; n8nId: string } | undefined; statuses?: string[] | undefined },
    window: { from?: Date | undefined; to?: Date | undefined },
    limit: number,
    after?: { at: string; instanceId: string; n8nId: string },
  ): Promise<ExecutionRow[]>;
  getExecution(tenantId: string, instanceId: string, n8nId: string): Promise<ExecutionRow | undefined>;
  metrics(
    tenantId: string,
    filter: { instanceId?: string | undefined; workflowId?: { instanceId: string; n8nId: string } | undefined },
    window: Window,
    bucketMinutes: number,
  ): Promise<
    Array<{ start: Date; runs: number; failures: number; p50DurationMs: number | null; p95DurationMs: number | null; maxDurationMs: number | null }>
  >;
}
