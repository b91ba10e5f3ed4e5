/**
 * Request and response shapes of the agents routes (agents, files, tools catalog, analytics). The same
 * schemas validate requests (functions/shared/http.ts) and feed the OpenAPI document.
 */
import * as z from 'zod';
import { listQuery as sharedListQuery, pageSchema } from '#shared/pagination.ts';
import { idSchema } from '#shared/ids.ts';

const timestamp = z.iso.datetime({ offset: true });

export const listQuery = sharedListQuery;

// ---------------------------------------------------------------------------------------------- agents

export const MAX_STEPS_LIMIT = 50;
export const DEFAULT_MAX_STEPS = 10;

export const agentId = idSchema('agt', 'an agent');

export const agentIdParams = z.object({ agentId });

/** If-Match on an update: the agent version it starts from, as its ETag gave it (`"3"`, `W/"3"`, `3`) or `*`. */
export const ifMatchHeaders = z.object({
  'if-match': z
    .string()
    .regex(/^\s*(\*|(W\/)?"?\d{1,9}"?)\s*$/, 'Expected an ETag like "3"')
    .optional()
    .meta({ description: 'Optimistic concurrency: the version (ETag) the update starts from; 409 when stale' }),
});

/**
 * The largest answer one model call may ask for, sized to the model-call task's time (MODEL_CALL_TIMEOUT_SECONDS,
 * Lambda's 15-minute maximum): 32,000 tokens arrive within it at 36 tokens a second, slower than the large
 * models stream. A bigger bound would let an agent ask for an answer that cannot arrive in time, and fail only
 * after paying for it (docs/agent-executions.md, "Time limits").
 */
export const MAX_OUTPUT_TOKENS = 32_000;
/** The model-call task's Lambda timeout: the maximum Lambda allows, since one answer may take minutes. */
export const MODEL_CALL_TIMEOUT_SECONDS = 900;

export const modelConfig = z
  .strictObject({
    provider: z.enum(['openai', 'anthropic']),
    name: z.string().trim().min(1).max(200).meta({ example: 'gpt-4o-mini' }),
    temperature: z.number().min(0).max(2).optional(),
    maxTokens: z
      .int()
      .min(1)
      .max(MAX_OUTPUT_TOKENS)
      .optional()
      .meta({ description: `Upper bound of output tokens per model call (at most ${MAX_OUTPUT_TOKENS}, what fits in a call's time)` }),
  })
  .meta({ id: 'ModelConfig' });

const agentFields = {
  name: z.string().trim().min(1).max(200).meta({ example: 'support-bot' }),
  description: z.string().max(2000),
  systemPrompt: z.string().max(100_000).meta({ example: 'You are a helpful assistant.' }),
  model: modelConfig,
  tools: z
    .array(z.string().min(1).max(64))
    .max(64)
    .refine((names) => new Set(names).size === names.length, 'Each tool may be listed once')
    .meta({ description: 'Names from GET /v1/tools', example: ['calculator'] }),
  maxSteps: z.int().min(1).max(MAX_STEPS_LIMIT).meta({ description: 'Model calls per execution, at most' }),
};

export const createAgentBody = z
  .strictObject({
    name: agentFields.name,
    description: agentFields.description.default(''),
    systemPrompt: agentFields.systemPrompt.default(''),
    model: agentFields.model,
    tools: agentFields.tools.default([]),
    maxSteps: agentFields.maxSteps.default(DEFAULT_MAX_STEPS),
  })
  .meta({ id: 'CreateAgentRequest' });

export const updateAgentBody = z
  .strictObject({
    name: agentFields.name.optional(),
    description: agentFields.description.optional(),
    systemPrompt: agentFields.systemPrompt.optional(),
    model: agentFields.model.optional(),
    tools: agentFields.tools.optional(),
    maxSteps: agentFields.maxSteps.optional(),
    expectedVersion: z.int().min(1).optional().meta({
      description: 'Optimistic concurrency: the update fails with 409 unless the agent is at this version (same as If-Match)',
    }),
  })
  .refine((b) => Object.keys(b).some((k) => k !== 'expectedVersion'), 'Give at least one field to change')
  .meta({ id: 'UpdateAgentRequest' });

export const agent = z
  .object({
    agentId,
    name: z.string(),
    description: z.string(),
    systemPrompt: z.string(),
    model: modelConfig,
    tools: z.array(z.string()),
    maxSteps: z.int(),
    version: z.int().meta({ description: 'Grows by one on every update' }),
    createdBy: z.string().nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Agent' });

export const agentPage = pageSchema(agent).meta({ id: 'AgentPage' });

export const agentVersion = z
  .object({
    agentId,
    version: z.int(),
    name: z.string(),
    description: z.string(),
    systemPrompt: z.string(),
    model: modelConfig,
    tools: z.array(z.string()),
    maxSteps: z.int(),
    createdBy: z.string().nullable(),
    createdAt: timestamp,
  })
  .meta({ id: 'AgentVersion' });

export const agentVersionPage = pageSchema(agentVersion).meta({ id: 'AgentVersionPage' });

// ----------------------------------------------------------------------------------------------- files

export const MAX_FILE_BYTES = 20 * 1024 * 1024;
export const UPLOAD_URL_TTL_SECONDS = 15 * 60;
export const DOWNLOAD_URL_TTL_SECONDS = 15 * 60;

export const FILE_CONTENT_TYPES = [
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'text/plain',
  'application/json',
  'application/pdf',
] as const;

export const fileId = idSchema('fil', 'a file');

export const fileIdParams = z.object({ fileId });

export const createFileBody = z
  .strictObject({
    // Control characters would end up in Content-Disposition and logs.
    filename: z
      .string()
      .trim()
      .min(1)
      .max(255)
      // Control characters (C0, DEL, C1) spelled as ranges: OpenAPI patterns are ECMA-262 without flags, so
      // `\p{Cc}` (which needs the u flag) would be a pattern no client-side validator could ever match.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
      .regex(/^[^\x00-\x1f\x7f-\x9f]+$/, 'No control characters')
      .meta({ example: 'diagram.png' }),
    contentType: z.enum(FILE_CONTENT_TYPES),
    sizeBytes: z.int().min(1).max(MAX_FILE_BYTES, `At most ${MAX_FILE_BYTES} bytes (20 MiB)`).meta({ example: 48213 }),
  })
  .meta({ id: 'CreateFileRequest' });

export const fileStatus = z.enum(['pending', 'uploaded']);

export const file = z
  .object({
    fileId,
    filename: z.string(),
    contentType: z.enum(FILE_CONTENT_TYPES),
    sizeBytes: z.int(),
    status: fileStatus.meta({ description: '`uploaded` once the object is in storage with the declared size' }),
    createdBy: z.string().nullable(),
    createdAt: timestamp,
    uploadedAt: timestamp.nullable(),
    downloadUrl: z.url().nullable().meta({ description: 'Presigned GET, valid 15 minutes; null until uploaded' }),
    downloadUrlExpiresAt: timestamp.nullable(),
  })
  .meta({ id: 'File' });

export const createdFile = z
  .object({
    fileId,
    filename: z.string(),
    contentType: z.enum(FILE_CONTENT_TYPES),
    sizeBytes: z.int(),
    status: fileStatus,
    createdAt: timestamp,
    uploadUrl: z.url().meta({ description: 'Presigned S3 PUT, valid 15 minutes' }),
    uploadMethod: z.literal('PUT'),
    headers: z.record(z.string(), z.string()).meta({
      description: 'Headers to send with the PUT (Content-Type is signed; the body must be exactly sizeBytes long)',
      example: { 'Content-Type': 'image/png' },
    }),
    expiresAt: timestamp,
  })
  .meta({ id: 'CreatedFile' });

// ----------------------------------------------------------------------------------------------- tools

export const toolInfo = z
  .object({
    name: z.string().meta({ example: 'calculator' }),
    description: z.string(),
    inputSchema: z.record(z.string(), z.unknown()).meta({ description: 'JSON Schema (draft 2020-12) of the arguments' }),
    needsApproval: z.boolean(),
  })
  .meta({ id: 'Tool' });

export const toolList = z.object({ items: z.array(toolInfo) }).meta({ id: 'ToolList' });

// ------------------------------------------------------------------------------------------- analytics

export const MAX_ANALYTICS_DAYS = 366;

export const analyticsQuery = z.object({
  from: timestamp.optional().meta({ description: 'Start (inclusive) of the window; default: 7 days before `to`' }),
  to: timestamp.optional().meta({ description: 'End (exclusive) of the window; default: now' }),
});

export const agentAnalytics = z
  .object({
    agentId,
    from: timestamp,
    to: timestamp,
    runs: z.int().meta({ description: 'Executions created in the window' }),
    succeeded: z.int(),
    failed: z.int(),
    cancelled: z.int(),
    inProgress: z.int().meta({ description: 'queued, running or waiting_approval' }),
    successRate: z.number().nullable().meta({ description: 'succeeded / (succeeded + failed + cancelled); null when none finished' }),
    durationMs: z
      .object({ p50: z.number().nullable(), p95: z.number().nullable() })
      .meta({ description: 'finished_at - started_at of finished runs (continuous percentiles)' }),
    tokensByModel: z.array(
      z.object({ provider: z.string().nullable(), model: z.string().nullable(), calls: z.int(), inputTokens: z.int(), outputTokens: z.int() }),
    ),
    toolUsage: z.array(z.object({ toolName: z.string(), calls: z.int(), errors: z.int() })),
    topErrors: z.array(z.object({ message: z.string(), count: z.int() })).meta({ description: 'Most frequent execution errors, at most 5' }),
  })
  .meta({ id: 'AgentAnalytics' });

export type AgentView = z.infer<typeof agent>;
export type AgentVersionView = z.infer<typeof agentVersion>;
export type ModelConfig = z.infer<typeof modelConfig>;
export type CreateAgentInput = z.output<typeof createAgentBody>;
export type UpdateAgentInput = z.output<typeof updateAgentBody>;
export type CreateFileInput = z.output<typeof createFileBody>;
export type FileView = z.infer<typeof file>;
export type CreatedFileView = z.infer<typeof createdFile>;
export type FileContentType = (typeof FILE_CONTENT_TYPES)[number];
export type AgentAnalyticsView = z.infer<typeof agentAnalytics>;
export type ToolInfoView = z.infer<typeof toolInfo>;
