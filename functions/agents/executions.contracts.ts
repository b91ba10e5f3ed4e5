/**
 * Request and response shapes of the executions routes: the same schemas validate requests and feed the
 * OpenAPI document.
 */
import * as z from 'zod';
import { listQuery as sharedListQuery, pageSchema } from '#shared/pagination.ts';
import { idSchema } from '#shared/ids.ts';

const timestamp = z.iso.datetime({ offset: true });

// Same id shapes as the agents domain (functions/agents/agents.contracts.ts), restated so that these
// handlers' bundles do not pull in the agents routes.
export const agentId = idSchema('agt', 'an agent');
export const fileId = idSchema('fil', 'a file');
export const executionId = idSchema('exe', 'an execution');

export const agentIdParams = z.object({ agentId });
export const executionIdParams = z.object({ executionId });

export const MAX_INPUT_TEXT = 100_000;
export const MAX_INPUT_IMAGES = 8;

export const startExecutionBody = z
  .strictObject({
    text: z.string().min(1).max(MAX_INPUT_TEXT).optional().meta({ example: 'What is 17 * 23?' }),
    images: z
      .array(z.strictObject({ fileId }))
      .min(1)
      .max(MAX_INPUT_IMAGES)
      .optional()
      .meta({ description: 'Images uploaded through POST /v1/files (png, jpeg, gif, webp)' }),
  })
  .refine((b) => b.text !== undefined || b.images !== undefined, { message: 'Give text, images, or both', path: ['text'] })
  .meta({ id: 'StartExecutionRequest' });

/** The Idempotency-Key header (IETF httpapi draft): 1-255 visible ASCII characters. */
export const idempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, '1-255 visible ASCII characters')
    .optional()
    .meta({ description: 'Makes retries safe: a repeat with the same key and body answers the first result' }),
});

export const executionStatus = z.enum(['queued', 'running', 'waiting_approval', 'succeeded', 'failed', 'cancelled']);

export const execution = z
  .object({
    executionId,
    agentId,
    agentVersion: z.int(),
    status: executionStatus,
    input: z.object({ text: z.string().optional(), images: z.array(z.object({ fileId, mediaType: z.string() })).optional() }),
    output: z.object({ text: z.string() }).nullable(),
    error: z.object({ type: z.string(), message: z.string() }).nullable(),
    usage: z.object({ inputTokens: z.int(), outputTokens: z.int() }),
    stepCount: z.int().meta({ description: 'Model calls made (the agent maxSteps bounds it)' }),
    pendingApproval: z
      .object({ toolCallId: z.string(), name: z.string(), arguments: z.unknown() })
      .nullable()
      .meta({ description: 'The tool call waiting for a decision, when status is waiting_approval' }),
    createdAt: timestamp,
    startedAt: timestamp.nullable(),
    finishedAt: timestamp.nullable(),
    durationMs: z.int().nullable(),
  })
  .meta({ id: 'Execution' });

export const executionStep = z
  .object({
    stepNo: z.int(),
    kind: z.enum(['model', 'tool']),
    provider: z.string().nullable(),
    model: z.string().nullable(),
    toolName: z.string().nullable(),
    toolCallId: z.string().nullable(),
    input: z.unknown(),
    output: z.unknown(),
    outputRef: z.string().nullable().meta({ description: 'S3 key of an output too large to keep inline' }),
    error: z.object({ type: z.string(), message: z.string() }).nullable(),
    inputTokens: z.int(),
    outputTokens: z.int(),
    latencyMs: z.int(),
    startedAt: timestamp,
    finishedAt: timestamp.nullable(),
  })
  .meta({ id: 'ExecutionStep' });

export const listQuery = sharedListQuery;
export const executionStepPage = pageSchema(executionStep).meta({ id: 'ExecutionStepPage' });

export const MAX_EVENTS_LIMIT = 500;
export const eventsQuery = z.object({
  afterSeq: z.coerce.number().int().min(0).default(0).meta({ description: 'Return events with a larger seq' }),
  limit: z.coerce.number().int().min(1).max(MAX_EVENTS_LIMIT).default(100),
});

export const channelEvent = z.object({ seq: z.int(), kind: z.string(), at: timestamp, data: z.unknown() }).meta({ id: 'ExecutionEvent' });
export const eventPage = z
  .object({
    items: z.array(channelEvent),
    nextAfterSeq: z.int().meta({ description: 'Pass as afterSeq to read on (the last seq returned, or afterSeq)' }),
  })
  .meta({ id: 'ExecutionEventPage' });

export const approvalBody = z
  .strictObject({
    decision: z.enum(['approve', 'reject']),
    comment: z.string().max(2000).optional(),
  })
  .meta({ id: 'ApprovalRequest' });

export type ExecutionView = z.output<typeof execution>;
export type ExecutionStepView = z.output<typeof executionStep>;
