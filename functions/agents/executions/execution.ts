/** What an execution is, apart from storage, HTTP and Step Functions. */
import type { NewChannelEvent } from '#shared/channel-events.ts';
import { newId } from '#shared/ids.ts';
import type { ImageMediaType, ModelProviderName } from '../models/model.types.ts';

export const newExecutionId = (): string => newId('exe');

export type ExecutionStatus = 'queued' | 'running' | 'waiting_approval' | 'succeeded' | 'failed' | 'cancelled';
export const TERMINAL: readonly ExecutionStatus[] = ['succeeded', 'failed', 'cancelled'];
export const isTerminal = (status: ExecutionStatus): boolean => TERMINAL.includes(status);

/** Tool outputs bigger than this go to S3; the step and the message keep the key. */
export const INLINE_OUTPUT_BYTES = 64 * 1024;

export interface ImageRef {
  fileId: string;
  key: string;
  mediaType: ImageMediaType;
}

/** The stored input: text and references to uploaded images (the bytes stay in S3). */
export interface ExecutionInput {
  text?: string;
  images?: ImageRef[];
}

export interface ExecutionError {
  type: string;
  message: string;
}

export interface AgentDefinition {
  agentId: string;
  version: number;
  systemPrompt: string;
  model: { provider: ModelProviderName; name: string; temperature?: number; maxTokens?: number };
  tools: string[];
  maxSteps: number;
}

export interface ExecutionRecord {
  id: string;
  tenantId: string;
  agentId: string;
  agentVersion: number;
  status: ExecutionStatus;
  input: ExecutionInput;
  output: { text: string } | null;
  error: ExecutionError | null;
  inputTokens: number;
  outputTokens: number;
  stepCount: number;
  sfnExecutionArn: string | null;
  cancelRequestedAt: Date | null;
  createdBy: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  pendingToolCall: PendingToolCall | null;
}

export interface PendingToolCall {
  toolCallId: string;
  name: string;
  arguments: unknown;
}

export interface StepRecord {
  executionId: string;
  stepNo: number;
  kind: 'model' | 'tool';
  provider: string | null;
  model: string | null;
  toolName: string | null;
  toolCallId: string | null;
  input: unknown;
  output: unknown;
  outputRef: string | null;
  error: ExecutionError | null;
  inputTokens: number;
  outputTokens: number;
  latencyMs: number;
  startedAt: Date;
  finishedAt: Date | null;
}

/** A stored conversation message; tool contents over the inline limit are kept in S3 (`contentRef`). */
export type StoredMessage =
  | { role: 'user'; content: ExecutionInput }
  | { role: 'assistant'; content: { text: string; toolCalls: Array<{ id: string; name: string; arguments: string }> } }
  | { role: 'tool'; content: { toolCallId: string; name: string; isError: boolean; text?: string; contentRef?: string } };

/** What CallModel hands the Map state per tool call: ids and positions only, never arguments or outputs. */
export interface TurnToolCall {
  id: string;
  name: string;
  stepNo: number;
  messageIdx: number;
}

export type TurnNext = 'tools' | 'approval' | 'end' | 'failed';

export interface TurnResult {
  next: TurnNext;
  toolCalls: TurnToolCall[];
}

/** The stored input of a tool step: the arguments as parsed, or the raw text and why it did not parse. */
export type ToolStepInput = { arguments: Record<string, unknown> } | { rawArguments: string; parseError: string };

export interface NewExecution {
  id: string;
  tenantId: string;
  agentId: string;
  agentVersion: number;
  input: ExecutionInput;
  createdBy: string;
  idempotencyKey: string | undefined;
  /** What the request asked for (agent and body), kept with the key to recognise a reuse for another request. */
  idempotencyFingerprint?: string | undefined;
}

export interface NewModelStep {
  provider: string;
  model: string;
  input: unknown;
  output: unknown;
  error: ExecutionError | null;
  inputTokens: number;
  outputTokens: number;
  latencyMs: number;
  startedAt: Date;
}

export interface NewToolStep {
  toolName: string;
  toolCallId: string;
  input: unknown;
}

export interface ToolStepResult {
  output: unknown;
  outputRef: string | null;
  error: ExecutionError | null;
  latencyMs: number;
  startedAt: Date;
}

/**
 * The writes of one unit of work on an execution (see `ExecutionRepository.whileActive`): the records a task
 * makes and the events that tell subscribers about them, committed together or not at all.
 */
export interface ExecutionWriter {
  /** The execution as it stands at the start of the unit; no other unit writes to it until this one is over. */
  readonly execution: ExecutionRecord;
  /** queued -> running; false when it was not queued (a retried task). */
  markRunning(): Promise<boolean>;
  /** Ends the execution. Emit its terminal event in the same unit: it is then, for certain, the last event. */
  finish(status: 'succeeded' | 'failed' | 'cancelled', fields: { output?: unknown; error?: ExecutionError }): Promise<void>;
  /** A model call that failed (it will be retried or end the run): recorded for the steps list. */
  recordFailedModelStep(step: NewModelStep): Promise<number>;
  /** A model turn: its step, the usage, the assistant message, and a pending step per tool call (in call order). */
  recordModelTurn(
    step: NewModelStep,
    message: Extract<StoredMessage, { role: 'assistant' }>['content'],
    toolSteps: NewToolStep[],
  ): Promise<{ stepNo: number; messageIdx: number; toolStepNos: number[] }>;
  /** The tool's result and its message, at the index CallModel reserved. */
  recordToolResult(
    stepNo: number,
    messageIdx: number,
    result: ToolStepResult,
    message: Extract<StoredMessage, { role: 'tool' }>['content'],
  ): Promise<void>;
  /** Parks the run: the token that resumes it and the call a human must decide on; false unless running or waiting. */
  waitForApproval(token: string, call: PendingToolCall): Promise<boolean>;
  /** Appends events to the channel `execution:<id>` with the unit's writes; live subscribers get them once it commits. */
  emit(events: NewChannelEvent[]): Promise<void>;
}

/** The storage port of executions, their steps, messages and approvals (PostgreSQL in execution.repository.ts). */
export interface ExecutionRepository {
  /** The agent's current version, unless deleted. */
  findAgent(tenantId: string, agentId: string): Promise<{ agentId: string; version: number } | undefined>;
  agentVersion(tenantId: string, agentId: string, version: number): Promise<AgentDefinition | undefined>;
  /** The execution and the agent version it runs, in one read (every task of the loop starts with both). */
  findWithAgent(tenantId: string, id: string): Promise<{ execution: ExecutionRecord; agent: AgentDefinition | undefined } | undefined>;
  /** The tenant's uploaded files among `fileIds`. */
  uploadedFiles(tenantId: string, fileIds: string[]): Promise<Array<{ id: string; key: string; contentType: string; sizeBytes: number | null }>>;
  create(
    e: NewExecution,
  ): Promise<{ execution: ExecutionRecord; created: true } | { execution: ExecutionRecord; created: false; fingerprint: string | null }>;
  setStateMachineExecution(id: string, arn: string): Promise<void>;
  find(tenantId: string, id: string): Promise<ExecutionRecord | undefined>;
  /**
   * Runs `write` as one unit of work on the execution, unless it has ended (a terminal status): then nothing
   * runs and the answer is `undefined`. Units on one execution run one at a time (PostgreSQL: a transaction
   * holding its row), and every write to a run goes through one, so nothing, record or event, is written after
   * the event that ended it, and no record is stored without its events or the other way round.
   */
  whileActive<T>(tenantId: string, id: string, write: (writer: ExecutionWriter) => Promise<T>): Promise<T | undefined>;
  /**
   * `whileActive` with nothing to write but events (a batch of streamed tokens): the same guarantees (nothing
   * after the run ended, one at a time with the run's other units), in one round trip. False when it had ended.
   */
  emitWhileActive(tenantId: string, id: string, events: NewChannelEvent[]): Promise<boolean>;
  /** True once a cancel was asked for or the execution ended: a task under way stops its model or tool call. */
  stopRequested(id: string): Promise<boolean>;
  step(id: string, stepNo: number): Promise<StepRecord | undefined>;
  messages(id: string): Promise<StoredMessage[]>;
  listSteps(tenantId: string, id: string, afterStepNo: number, limit: number): Promise<StepRecord[]>;
  /** Tool calls of the latest turn that need a decision and have none yet, in call order. */
  undecidedCalls(id: string, needsApproval: (toolName: string) => boolean): Promise<Array<{ toolCallId: string; name: string; arguments: unknown }>>;
  decide(
    tenantId: string,
    id: string,
    decision: { approved: boolean; decidedBy: string; comment?: string },
  ): Promise<{ token: string; call: PendingToolCall } | undefined>;
  approval(id: string, toolCallId: string): Promise<{ approved: boolean; decidedBy: string; comment: string | null } | undefined>;
}

/** What the agent loop's tasks use of the store. */
export type AgentLoopStore = Pick<
  ExecutionRepository,
  | 'find'
  | 'agentVersion'
  | 'findWithAgent'
  | 'whileActive'
  | 'emitWhileActive'
  | 'stopRequested'
  | 'messages'
  | 'step'
  | 'approval'
  | 'undecidedCalls'
>;
