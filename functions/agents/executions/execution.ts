/** What an execution is, apart from storage, HTTP and Step Functions. */
import type { ImageMediaType, ModelProviderName } from '../domain/model.types.ts';
import { newId } from '#shared/ids.ts';

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
