/**
 * The tool contract. A tool is a name, a description and a zod schema for its arguments (the model sees
 * the schema as JSON Schema), plus `run`. Tools know nothing of Lambda or the SDKs: whatever I/O they need
 * comes in through the context (the files port) or their own configuration.
 */
import type { z } from 'zod';
import type { JsonSchema } from '../models/model.types.ts';
import type { ToolErrorType } from './tool.errors.ts';
import type { FilesPort } from './files.port.ts';

/**
 * A human's answer to a call of a tool that needs approval. The orchestration pauses the run when the model
 * calls such a tool, waits for `POST /v1/executions/{id}/approvals`, then runs the call with this in the
 * context. `toolCallId` ties the decision to the one call it was given for.
 */
export interface ApprovalDecision {
  toolCallId: string;
  approved: boolean;
  decidedBy: string;
  comment?: string;
}

export interface ToolContext {
  tenantId: string;
  executionId: string;
  /** Aborted when the execution is cancelled or the task nears its deadline. */
  signal: AbortSignal;
  files: FilesPort;
  /** The agent's tool list; a call to a tool not on it is answered as an unknown tool. All tools when absent. */
  allowedTools?: readonly string[];
  /** Present only when resuming a call that waited for approval. */
  approval?: ApprovalDecision;
}

export interface Tool<S extends z.ZodObject = z.ZodObject> {
  /** What the model calls it: `^[a-zA-Z0-9_-]{1,64}$` (the stricter of OpenAI's and Anthropic's rules). */
  name: string;
  description: string;
  input: S;
  /** The run pauses for a human's decision before the call runs (see `ApprovalDecision`). */
  needsApproval?: boolean;
  /** Upper bound for one call; the runner's default applies when absent. */
  timeoutMs?: number;
  /** Resolves to a JSON-serialisable value. Throw a `ToolError` for failures the model should read. */
  run(input: z.output<S>, ctx: ToolContext): Promise<unknown>;
}

/** Keeps the input type of `run` tied to the schema without repeating it. */
export const defineTool = <S extends z.ZodObject>(tool: Tool<S>): Tool<S> => tool;

/** What `GET /v1/tools` lists. */
export interface ToolInfo {
  name: string;
  description: string;
  inputSchema: JsonSchema;
  needsApproval: boolean;
}

export interface ToolFailure {
  type: ToolErrorType;
  message: string;
  /** For `invalid_arguments` from the schema: each bad field (dotted path) and what is wrong with it. */
  fields?: Array<{ path: string; message: string }>;
}

/**
 * The outcome of one tool call. Never thrown: every failure is data the model can read. `outputBytes` is
 * the size of `JSON.stringify(output)`, so the caller can decide to put large outputs in S3.
 */
export type ToolResult =
  | { ok: true; output: unknown; outputBytes: number; durationMs: number }
  | { ok: false; error: ToolFailure; durationMs: number };
