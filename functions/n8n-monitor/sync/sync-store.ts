/** Where synced workflows and executions are kept: the port (PostgreSQL in sync-store.repository.ts). */
import type { N8nExecution, N8nWorkflowSummary } from '../n8n/n8n-api.ts';

export interface SyncStore {
  upsertWorkflows(instanceId: string, tenantId: string, workflows: N8nWorkflowSummary[]): Promise<void>;
  /** After a complete listing: workflows it did not have are marked deleted (their executions stay). */
  markMissingWorkflowsDeleted(instanceId: string, seenIds: string[]): Promise<number>;
  /** Stored statuses of these executions (absent: never seen). */
  statusesOf(instanceId: string, ids: string[]): Promise<Map<string, string>>;
  /** Insert or update by (instance, id); a stored failure's error details are kept. */
  upsertExecutions(instanceId: string, tenantId: string, executions: N8nExecution[]): Promise<void>;
  /** Stored executions not finished yet, least recently checked first. */
  unfinished(instanceId: string, limit: number): Promise<string[]>;
  /** Failures whose error details were not read yet, newest first. */
  undetailed(instanceId: string, limit: number): Promise<string[]>;
  markGone(instanceId: string, id: string): Promise<void>;
  setFailure(instanceId: string, id: string, error: { message: string | null; node: string | null }): Promise<void>;
}
