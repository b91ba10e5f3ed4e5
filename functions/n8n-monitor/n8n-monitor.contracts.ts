/**
 * Request and response shapes of the n8n monitor's routes. The same schemas validate requests
 * (functions/shared/http.ts) and feed the OpenAPI document.
 */
import * as z from 'zod';
import { idSchema } from '#shared/ids.ts';
import { listQuery as sharedListQuery, pageSchema } from '#shared/pagination.ts';

const timestamp = z.iso.datetime({ offset: true });
const nullableTimestamp = timestamp.nullable();

export const listQuery = sharedListQuery;

// ------------------------------------------------------------------------------------------- instances

export const instanceId = idSchema('n8i', 'an n8n instance');
export const instanceParams = z.object({ instanceId });

const baseUrl = z
  .url({ protocol: /^https?$/, hostname: z.regexes.hostname })
  .max(2048)
  .refine((u) => !/^[a-z]+:\/\/[^/]*@/i.test(u), 'URLs with credentials are refused; give the key as apiKey')
  .meta({ description: "The n8n instance's address (its API is at <baseUrl>/api/v1)", example: 'https://n8n.example.com' });
const apiKey = z
  .string()
  .min(8)
  .max(2048)
  .regex(/^[\x21-\x7e]+$/, 'An n8n API key is printable ASCII without spaces')
  .meta({ description: 'An n8n API key (Settings > n8n API). Stored sealed; never returned.', writeOnly: true });
const instanceName = z.string().trim().min(1).max(100).meta({ example: 'production' });

export const createInstanceBody = z.strictObject({ name: instanceName, baseUrl, apiKey }).meta({ id: 'CreateN8nInstanceRequest' });
export const updateInstanceBody = z
  .strictObject({ name: instanceName.optional(), baseUrl: baseUrl.optional(), apiKey: apiKey.optional() })
  .refine((b) => Object.keys(b).length > 0, 'Give at least one field to change')
  .meta({ id: 'UpdateN8nInstanceRequest' });

export const instance = z
  .object({
    instanceId,
    name: z.string(),
    baseUrl: z.string(),
    status: z.enum(['ok', 'error', 'pending']).meta({ description: 'pending: not synced yet; error: the last sync failed (lastError says why)' }),
    lastSyncAt: nullableTimestamp,
    lastSuccessAt: nullableTimestamp,
    lastError: z.string().nullable(),
    consecutiveFailures: z.int(),
    createdBy: z.string(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'N8nInstance' });
export const instancePage = pageSchema(instance).meta({ id: 'N8nInstancePage' });

export const syncResult = z
  .object({
    instanceId,
    outcome: z.enum(['synced', 'partial', 'failed', 'busy']),
    newExecutions: z.int(),
    finished: z.int(),
    failures: z.int(),
    workflows: z.int(),
    requests: z.int(),
    error: z.string().optional(),
    retryAfterSeconds: z.int().optional(),
  })
  .meta({ id: 'N8nSyncResult' });

// ------------------------------------------------------------------------------- workflows, executions

/** `<instanceId>:<n8n id>`: n8n ids are unique per instance only. */
const qualifiedId = (noun: string, n8nPart: string) =>
  z
    .string()
    .regex(
      new RegExp(`^n8i_[A-Za-z0-9_-]{8,64}:${n8nPart}$`),
      `Expected ${noun} id like n8i_3kTMd9aQw0eR1xYz:${n8nPart === '\\d{1,18}' ? '1234' : '2tUt1wbLX592XDdX'}`,
    )
    .meta({ description: `<instanceId>:<n8n ${noun} id>` });

export const workflowId = qualifiedId('workflow', '[A-Za-z0-9_-]{1,64}');
export const executionId = qualifiedId('execution', '\\d{1,18}');
export const workflowParams = z.object({ workflowId });
export const executionParams = z.object({ executionId });

const windowQuery = {
  from: timestamp.optional().meta({ description: 'Start of the window (default: 24 hours before `to`)' }),
  to: timestamp.optional().meta({ description: 'End of the window (default: now)' }),
};

export const listWorkflowsQuery = listQuery.extend({
  instanceId: instanceId.optional(),
  ...windowQuery,
  includeDeleted: z.enum(['true', 'false']).optional().meta({ description: 'Also list workflows deleted in n8n' }),
});
export const workflowWindowQuery = z.object(windowQuery);

export const health = z
  .object({
    runs: z.int(),
    failures: z.int(),
    failureRate: z.number().nullable().meta({ description: 'failures / finished runs in the window; null without runs' }),
    p50DurationMs: z.number().nullable(),
    p95DurationMs: z.number().nullable(),
    lastRunAt: nullableTimestamp,
    lastFailureAt: nullableTimestamp,
    lastFailureMessage: z.string().nullable(),
  })
  .meta({ id: 'N8nWorkflowHealth' });

export const workflow = z
  .object({
    workflowId,
    instanceId,
    n8nId: z.string(),
    name: z.string(),
    active: z.boolean(),
    archived: z.boolean(),
    tags: z.array(z.string()),
    nodesCount: z.int(),
    updatedAt: nullableTimestamp,
    deletedAt: nullableTimestamp,
    health,
    window: z.object({ from: timestamp, to: timestamp }),
  })
  .meta({ id: 'N8nWorkflow' });
export const workflowPage = pageSchema(workflow).meta({ id: 'N8nWorkflowPage' });

export const EXECUTION_STATUSES = ['canceled', 'crashed', 'error', 'new', 'running', 'success', 'unknown', 'waiting'] as const;

export const listExecutionsQuery = listQuery.extend({
  instanceId: instanceId.optional(),
  workflowId: workflowId.optional(),
  status: z
    .enum([...EXECUTION_STATUSES, 'failed'])
    .optional()
    .meta({ description: 'n8n status, or `failed` for error and crashed' }),
  ...windowQuery,
});

export const execution = z
  .object({
    executionId,
    instanceId,
    n8nId: z.string(),
    workflowId,
    workflowName: z.string().nullable(),
    status: z.string(),
    mode: z.string(),
    finished: z.boolean(),
    startedAt: nullableTimestamp,
    stoppedAt: nullableTimestamp,
    durationMs: z.number().nullable(),
    errorMessage: z.string().nullable(),
    errorNode: z.string().nullable(),
    retryOf: z.string().nullable(),
    goneFromN8n: z.boolean(),
  })
  .meta({ id: 'N8nExecution' });
export const executionPage = pageSchema(execution).meta({ id: 'N8nExecutionPage' });

export const BUCKETS = { '5m': 5, '15m': 15, '1h': 60, '6h': 360, '1d': 1440 } as const;
export const MAX_BUCKETS = 1000;

export const metricsQuery = z.object({
  instanceId: instanceId.optional(),
  workflowId: workflowId.optional(),
  ...windowQuery,
  bucket: z.enum(Object.keys(BUCKETS) as [keyof typeof BUCKETS, ...Array<keyof typeof BUCKETS>]).default('1h'),
});

export const metrics = z
  .object({
    from: timestamp,
    to: timestamp,
    bucket: z.string(),
    series: z.array(
      z.object({
        start: timestamp,
        runs: z.int(),
        failures: z.int(),
        p50DurationMs: z.number().nullable(),
        p95DurationMs: z.number().nullable(),
        maxDurationMs: z.number().nullable(),
      }),
    ),
  })
  .meta({ id: 'N8nMetrics' });

// ---------------------------------------------------------------------------------------------- alerts

export const alertId = idSchema('n8a', 'an alert rule');
export const alertParams = z.object({ alertId });

const minutes = (max: number) => z.int().min(1).max(max);

export const alertCondition = z
  .discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('failure-rate'),
      threshold: z.number().gt(0).max(1).meta({ description: 'Fires when failures / finished runs exceeds this (0-1)' }),
      windowMinutes: minutes(7 * 1440),
      minRuns: z.int().min(1).max(100_000).default(5).meta({ description: 'Fewer finished runs in the window never fire' }),
    }),
    z.strictObject({ kind: z.literal('consecutive-failures'), count: z.int().min(1).max(1000) }),
    z.strictObject({
      kind: z.literal('duration'),
      maxDurationMs: z
        .int()
        .min(1)
        .max(30 * 86_400_000),
      windowMinutes: minutes(7 * 1440).default(60),
    }),
    z.strictObject({ kind: z.literal('no-success'), windowMinutes: minutes(30 * 1440) }),
    z.strictObject({ kind: z.literal('instance-unreachable'), failures: z.int().min(1).max(1000).default(2) }),
  ])
  .meta({ id: 'N8nAlertCondition' });

const webhookTarget = z.strictObject({
  url: z
    .url({ protocol: /^https?$/, hostname: z.regexes.hostname })
    .max(2048)
    .meta({ description: 'POSTed a JSON firing, signed (X-Mls-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">)' }),
  secret: z.string().min(16).max(256).optional().meta({ description: 'HMAC key; generated and returned once when omitted', writeOnly: true }),
});

export const alertTargets = z
  .strictObject({
    websocket: z.boolean().default(true).meta({ description: "Push to the tenant's `n8n` WebSocket channel" }),
    webhooks: z.array(webhookTarget).max(5).default([]),
    sns: z.boolean().default(false).meta({ description: "Publish to the stage's n8n alerts SNS topic (AWS only; skipped locally)" }),
  })
  .meta({ id: 'N8nAlertTargets' });

export const createAlertBody = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    condition: alertCondition,
    instanceId: instanceId.optional().meta({ description: 'Only this instance (default: all of the tenant)' }),
    workflowId: workflowId.optional().meta({ description: 'Only this workflow (default: each workflow)' }),
    cooldownMinutes: z.int().min(0).max(1440).default(15).meta({ description: 'A firing resolves only after its condition stayed clear this long' }),
    enabled: z.boolean().default(true),
    targets: alertTargets.default({ websocket: true, webhooks: [], sns: false }),
  })
  .meta({ id: 'CreateN8nAlertRequest' });

export const updateAlertBody = z
  .strictObject({
    name: z.string().trim().min(1).max(100).optional(),
    condition: alertCondition.optional(),
    cooldownMinutes: z.int().min(0).max(1440).optional(),
    enabled: z.boolean().optional(),
    targets: alertTargets.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'Give at least one field to change')
  .meta({ id: 'UpdateN8nAlertRequest' });

export const alert = z
  .object({
    alertId,
    name: z.string(),
    condition: alertCondition,
    instanceId: instanceId.nullable(),
    workflowId: workflowId.nullable(),
    cooldownMinutes: z.int(),
    enabled: z.boolean(),
    targets: z.object({ websocket: z.boolean(), sns: z.boolean(), webhooks: z.array(z.object({ url: z.string() })) }),
    firing: z.array(z.object({ subject: z.string(), firedAt: timestamp })),
    createdAt: timestamp,
    updatedAt: timestamp,
    /** Only in the answer that created the webhook without a secret. */
    webhookSecrets: z.array(z.object({ url: z.string(), secret: z.string() })).optional(),
  })
  .meta({ id: 'N8nAlert' });
export const alertPage = pageSchema(alert).meta({ id: 'N8nAlertPage' });

export const alertEvent = z
  .object({
    eventId: z.string(),
    alertId,
    kind: z.enum(['fired', 'resolved']),
    subject: z.string(),
    at: timestamp,
    detail: z.record(z.string(), z.unknown()),
    deliveries: z.array(z.object({ target: z.string(), ok: z.boolean(), detail: z.string().optional() })),
  })
  .meta({ id: 'N8nAlertEvent' });
export const alertEventPage = pageSchema(alertEvent).meta({ id: 'N8nAlertEventPage' });

// ------------------------------------------------------------------------------------------- templates

export const templateId = idSchema('n8t', 'a template');
export const templateParams = z.object({ templateId });

export const MAX_TEMPLATE_NODES = 500;

const templateNode = z
  .object({
    id: z.string().max(100).optional(),
    name: z.string().min(1).max(200),
    type: z.string().min(1).max(200),
    typeVersion: z.number(),
    position: z.tuple([z.number(), z.number()]),
    parameters: z.record(z.string(), z.unknown()).default({}),
    credentials: z.record(z.string(), z.unknown()).optional(),
    webhookId: z.string().max(100).optional(),
    disabled: z.boolean().optional(),
    notes: z.string().max(10_000).optional(),
    notesInFlow: z.boolean().optional(),
    executeOnce: z.boolean().optional(),
    alwaysOutputData: z.boolean().optional(),
    retryOnFail: z.boolean().optional(),
    maxTries: z.number().optional(),
    waitBetweenTries: z.number().optional(),
    continueOnFail: z.boolean().optional(),
    onError: z.string().max(50).optional(),
  })
  .strip();

export const templateWorkflow = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    nodes: z.array(templateNode).min(1).max(MAX_TEMPLATE_NODES),
    connections: z.record(
      z.string(),
      z.record(z.string(), z.array(z.array(z.object({ node: z.string(), type: z.string(), index: z.int().min(0) }).strip()).nullable())),
    ),
    settings: z.record(z.string(), z.unknown()).optional(),
  })
  .strip()
  .meta({ id: 'N8nTemplateWorkflow', description: "An n8n workflow's JSON (nodes, connections, settings); read-only fields are dropped" });

export const createTemplateBody = z
  .strictObject({ name: z.string().trim().min(1).max(100), description: z.string().max(2000).default(''), workflow: templateWorkflow })
  .meta({ id: 'CreateN8nTemplateRequest' });
export const addVersionBody = z.strictObject({ workflow: templateWorkflow }).meta({ id: 'AddN8nTemplateVersionRequest' });
export const templateQuery = z.object({ version: z.coerce.number().int().min(1).max(1_000_000).optional() });

export const templateVersion = z
  .object({
    version: z.int(),
    sha256: z.string(),
    bytes: z.int(),
    nodesCount: z.int(),
    source: z.record(z.string(), z.unknown()),
    createdBy: z.string(),
    createdAt: timestamp,
  })
  .meta({ id: 'N8nTemplateVersion' });

export const template = z
  .object({
    templateId,
    name: z.string(),
    description: z.string(),
    latestVersion: z.int(),
    createdBy: z.string(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'N8nTemplate' });
export const templatePage = pageSchema(template).meta({ id: 'N8nTemplatePage' });
export const templateVersionPage = pageSchema(templateVersion).meta({ id: 'N8nTemplateVersionPage' });
export const templateWithWorkflow = template
  .extend({ version: templateVersion, workflow: z.record(z.string(), z.unknown()) })
  .meta({ id: 'N8nTemplateWithWorkflow' });

export const deployBody = z
  .strictObject({
    instanceId,
    activate: z.boolean().default(false),
    version: z.int().min(1).optional().meta({ description: 'Default: the latest' }),
  })
  .meta({ id: 'DeployN8nTemplateRequest' });
export const deployResult = z
  .object({ workflowId, n8nId: z.string(), created: z.boolean(), active: z.boolean(), version: z.int() })
  .meta({ id: 'N8nTemplateDeployment' });

export const exportBody = z.strictObject({ workflowId }).meta({ id: 'ExportN8nWorkflowRequest' });
