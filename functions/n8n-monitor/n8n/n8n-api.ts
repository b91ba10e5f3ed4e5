/**
 * The port to one n8n instance's public API (`/api/v1`, n8n's OpenAPI document pinned in test/fixtures/n8n):
 * what the monitor reads and the few actions it takes. The adapter (n8n-api.adapter.ts) speaks HTTP; tests
 * and the benchmark run it against a scripted n8n that validates every exchange against n8n's document.
 */

/** n8n's execution statuses (its OpenAPI enum). */
export const N8N_STATUSES = ['canceled', 'crashed', 'error', 'new', 'running', 'success', 'unknown', 'waiting'] as const;
export type N8nStatus = (typeof N8N_STATUSES)[number];

/** Statuses after which an execution never changes again. */
export const FINAL_STATUSES: ReadonlySet<string> = new Set(['success', 'error', 'crashed', 'canceled']);
/** Failed runs: the ones whose error message and failing node are fetched (`includeData`). */
export const FAILED_STATUSES: ReadonlySet<string> = new Set(['error', 'crashed']);

export interface N8nExecution {
  /** n8n's id: a decimal string, growing with every new execution of the instance. */
  id: string;
  workflowId: string;
  status: string;
  mode: string;
  startedAt: string | null;
  stoppedAt: string | null;
  waitTill: string | null;
  retryOf: string | null;
  /** Only when fetched with data: why it failed and where. */
  error?: { message: string | null; node: string | null };
}

export interface N8nWorkflowSummary {
  id: string;
  name: string;
  active: boolean;
  archived: boolean;
  tags: string[];
  nodesCount: number;
  createdAt: string | null;
  updatedAt: string | null;
}

/** A workflow as n8n stores it (nodes, connections, settings...): what templates are made of. */
export type N8nWorkflowDocument = Record<string, unknown> & { id?: string; name: string; nodes: unknown[]; connections: Record<string, unknown> };

export interface N8nPage<T> {
  items: T[];
  nextCursor: string | null;
}

/** Why a call to n8n failed, in terms the monitor acts on. */
export type N8nErrorKind =
  | 'unauthorized'
  | 'not-found'
  | 'rate-limited'
  | 'server'
  | 'rejected'
  | 'conflict'
  | 'timeout'
  | 'unreachable'
  | 'refused'
  | 'malformed'
  | 'too-large';

export class N8nError extends Error {
  override name = 'N8nError';
  readonly kind: N8nErrorKind;
  readonly status?: number;
  /** From a 429's Retry-After. */
  readonly retryAfterSeconds?: number;
  constructor(kind: N8nErrorKind, message: string, extra: { status?: number; retryAfterSeconds?: number } = {}) {
    super(message);
    this.kind = kind;
    if (extra.status !== undefined) this.status = extra.status;
    if (extra.retryAfterSeconds !== undefined) this.retryAfterSeconds = extra.retryAfterSeconds;
  }
}

/** n8n answers at most this many items per page. */
export const N8N_MAX_PAGE = 250;

export interface N8nApi {
  /** Newest first (n8n orders executions by id, descending). */
  listExecutions(options: { limit: number; cursor?: string | undefined; status?: N8nStatus; includeData?: boolean }): Promise<N8nPage<N8nExecution>>;
  /** Undefined when n8n has no such execution (pruned, deleted). */
  getExecution(id: string, options: { includeData: boolean }): Promise<N8nExecution | undefined>;
  listWorkflows(options: { limit: number; cursor?: string | undefined }): Promise<N8nPage<N8nWorkflowSummary>>;
  getWorkflow(id: string): Promise<N8nWorkflowDocument | undefined>;
  createWorkflow(workflow: N8nWorkflowDocument): Promise<N8nWorkflowSummary>;
  updateWorkflow(id: string, workflow: N8nWorkflowDocument): Promise<N8nWorkflowSummary>;
  /** n8n 2.x calls activation "publishing". */
  publishWorkflow(id: string): Promise<N8nWorkflowSummary>;
  unpublishWorkflow(id: string): Promise<N8nWorkflowSummary>;
  retryExecution(id: string): Promise<N8nExecution>;
  stopExecution(id: string): Promise<{ status: string; stoppedAt: string | null }>;
}

export interface N8nConnection {
  baseUrl: string;
  apiKey: string;
}

/** Builds the port for one instance (the composition root decides timeouts and the SSRF policy). */
export type N8nApiFactory = (connection: N8nConnection) => N8nApi;
