/**
 * The n8n public API over HTTP: `X-N8N-API-KEY`, JSON, cursors as n8n hands them out. Every answer is parsed
 * with a schema that follows n8n's OpenAPI document (what the monitor reads must be there and of the right
 * type; extra fields are ignored), so a malformed page is an error the sync records, never a half-read page.
 * Requests go through the shared SSRF rules (functions/shared/outbound-http.ts) with a per-request deadline
 * and a cap on the bytes read, so a hanging or flooding n8n cannot stall or exhaust the poller.
 */
import * as z from 'zod';
import { OutboundRefusedError, OutboundTimeoutError, outboundRequest, type OutboundPolicy } from '#shared/outbound-http.ts';
import {
  N8nError,
  type N8nApi,
  type N8nConnection,
  type N8nExecution,
  type N8nPage,
  type N8nStatus,
  type N8nWorkflowDocument,
  type N8nWorkflowSummary,
} from './n8n-api.ts';

export interface N8nClientOptions {
  policy: OutboundPolicy;
  /** Per request. Default 10 s. */
  timeoutMs?: number;
  /** Bytes read from one answer; more is a `too-large` error. Default 16 MiB. */
  maxResponseBytes?: number;
}

const MESSAGE_MAX = 1000;
const REASON_MAX = 300;

const nullableString = z
  .string()
  .nullable()
  .optional()
  .transform((v) => v ?? null);

const executionSchema = z.object({
  id: z.union([z.string().regex(/^\d{1,19}$/), z.int().nonnegative()]).transform(String),
  workflowId: z.union([z.string().min(1).max(128), z.int()]).transform(String),
  status: z.string().min(1).max(32),
  mode: z.string().max(32).optional().default('unknown'),
  startedAt: nullableString,
  stoppedAt: nullableString,
  waitTill: nullableString,
  retryOf: z
    .union([z.string(), z.int()])
    .nullable()
    .optional()
    .transform((v) => (v == null ? null : String(v))),
  data: z.unknown().optional(),
});

const workflowSchema = z.object({
  id: z.union([z.string().min(1).max(128), z.int()]).transform(String),
  name: z.string().max(1000),
  active: z.boolean(),
  isArchived: z.boolean().optional().default(false),
  tags: z
    .array(z.object({ name: z.string() }))
    .optional()
    .default([]),
  nodes: z.array(z.unknown()).optional().default([]),
  createdAt: nullableString,
  updatedAt: nullableString,
});

const pageOf = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), nextCursor: z.string().nullable().optional() });
const stopSchema = z.object({ status: z.string(), stoppedAt: nullableString });

const cut = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** Error message and failing node from an execution's data (`data.resultData`), bounded in size. */
const failureOf = (data: unknown): { message: string | null; node: string | null } => {
  const result = (data as { resultData?: { error?: Record<string, unknown>; lastNodeExecuted?: unknown } } | undefined)?.resultData;
  const error = result?.error;
  const message = typeof error?.message === 'string' ? error.message : typeof error?.description === 'string' ? error.description : null;
  const node =
    typeof (error?.node as { name?: unknown } | undefined)?.name === 'string'
      ? ((error!.node as { name: string }).name as string)
      : typeof result?.lastNodeExecuted === 'string'
        ? result.lastNodeExecuted
        : null;
  return { message: message === null ? null : cut(message, MESSAGE_MAX), node: node === null ? null : cut(node, 200) };
};

const toExecution = (raw: z.output<typeof executionSchema>, withData: boolean): N8nExecution => ({
  id: raw.id,
  workflowId: raw.workflowId,
  status: raw.status,
  mode: raw.mode,
  startedAt: raw.startedAt,
  stoppedAt: raw.stoppedAt,
  waitTill: raw.waitTill,
  retryOf: raw.retryOf,
  ...(withData ? { error: failureOf(raw.data) } : {}),
});

const toWorkflow = (raw: z.output<typeof workflowSchema>): N8nWorkflowSummary => ({
  id: raw.id,
  name: raw.name,
  active: raw.active,
  archived: raw.isArchived,
  tags: raw.tags.map((t) => t.name),
  nodesCount: raw.nodes.length,
  createdAt: raw.createdAt,
  updatedAt: raw.updatedAt,
});

/** `https://n8n.example.com/`, `.../api/v1` -> the API root `https://n8n.example.com/api/v1`. */
export const apiRootOf = (baseUrl: string): string => `${baseUrl.replace(/\/+$/, '').replace(/\/api\/v1$/, '')}/api/v1`;

/** n8n's reason from an error body: its JSON `message` only (never raw bodies, which may be anything). */
const reasonOf = (body: Buffer, status: number): string => {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { message?: unknown };
    if (typeof parsed?.message === 'string' && parsed.message.trim()) return cut(parsed.message.trim(), REASON_MAX);
  } catch {
    // not JSON: the status says enough
  }
  return `HTTP ${status}`;
};

const retryAfterOf = (value: string | string[] | undefined): number | undefined => {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  const seconds = Number(text);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
};

export const createN8nClient =
  (options: N8nClientOptions) =>
  (connection: N8nConnection): N8nApi => {
    const root = apiRootOf(connection.baseUrl);
    const timeoutMs = options.timeoutMs ?? 10_000;
    const maxResponseBytes = options.maxResponseBytes ?? 16 * 1024 * 1024;

    const call = async <S extends z.ZodType>(
      method: string,
      path: string,
      schema: S,
      init: { query?: Record<string, string | undefined>; body?: unknown } = {},
    ): Promise<z.output<S>> => {
      const url = new URL(`${root}${path}`);
      for (const [k, v] of Object.entries(init.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
      const body = init.body === undefined ? undefined : JSON.stringify(init.body);
      let response: Awaited<ReturnType<typeof outboundRequest>>;
      try {
        response = await outboundRequest(url, {
          method,
          headers: { 'x-n8n-api-key': connection.apiKey, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
          ...(body ? { body } : {}),
          timeoutMs,
          maxResponseBytes: maxResponseBytes + 1,
          policy: options.policy,
        });
      } catch (error) {
        if (error instanceof OutboundRefusedError) throw new N8nError('refused', error.message);
        if (error instanceof OutboundTimeoutError) throw new N8nError('timeout', `n8n did not answer within ${timeoutMs} ms`);
        const code = (error as NodeJS.ErrnoException).code;
        throw new N8nError('unreachable', `n8n could not be reached (${code ?? (error as Error).message})`);
      }
      const { status } = response;
      if (response.truncated) throw new N8nError('too-large', `n8n's answer is larger than ${maxResponseBytes} bytes`, { status });
      if (status === 401 || status === 403)
        throw new N8nError('unauthorized', `n8n refused the API key: ${reasonOf(response.body, status)}`, { status });
      if (status === 404) throw new N8nError('not-found', reasonOf(response.body, status), { status });
      if (status === 409) throw new N8nError('conflict', reasonOf(response.body, status), { status });
      if (status === 429) {
        const retryAfterSeconds = retryAfterOf(response.headers['retry-after']);
        throw new N8nError('rate-limited', `n8n is rate limiting (${reasonOf(response.body, status)})`, {
          status,
          ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
        });
      }
      if (status >= 500) throw new N8nError('server', `n8n failed: ${reasonOf(response.body, status)}`, { status });
      if (status < 200 || status >= 300) throw new N8nError('rejected', `n8n rejected the request: ${reasonOf(response.body, status)}`, { status });
      let json: unknown;
      try {
        json = JSON.parse(response.body.toString('utf8'));
      } catch {
        throw new N8nError('malformed', `n8n answered ${method} ${path} with something that is not JSON`, { status });
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new N8nError(
          'malformed',
          `n8n answered ${method} ${path} with an unexpected shape (${issue.path.join('.') || 'body'}: ${issue.message})`,
          {
            status,
          },
        );
      }
      return parsed.data;
    };

    const orUndefined = async <T>(promise: Promise<T>): Promise<T | undefined> => {
      try {
        return await promise;
      } catch (error) {
        if (error instanceof N8nError && error.kind === 'not-found') return undefined;
        throw error;
      }
    };

    const workflowBody = (workflow: N8nWorkflowDocument) => workflow;

    return {
      listExecutions: async ({ limit, cursor, status, includeData }) => {
        const page = await call('GET', '/executions', pageOf(executionSchema), {
          query: { limit: String(limit), cursor, status: status as N8nStatus | undefined, ...(includeData ? { includeData: 'true' } : {}) },
        });
        return {
          items: page.data.map((e) => toExecution(e, includeData === true)),
          nextCursor: page.nextCursor ?? null,
        } satisfies N8nPage<N8nExecution>;
      },
      getExecution: async (id, { includeData }) => {
        const raw = await orUndefined(
          call('GET', `/executions/${encodeURIComponent(id)}`, executionSchema, { query: includeData ? { includeData: 'true' } : {} }),
        );
        return raw && toExecution(raw, includeData);
      },
      listWorkflows: async ({ limit, cursor }) => {
        const page = await call('GET', '/workflows', pageOf(workflowSchema), { query: { limit: String(limit), cursor } });
        return { items: page.data.map(toWorkflow), nextCursor: page.nextCursor ?? null };
      },
      getWorkflow: async (id) => {
        const raw = await orUndefined(
          call('GET', `/workflows/${encodeURIComponent(id)}`, workflowSchema.extend({ connections: z.record(z.string(), z.unknown()) }).loose(), {
            query: { excludePinnedData: 'true' },
          }),
        );
        return raw && ({ ...raw, id: raw.id } as unknown as N8nWorkflowDocument);
      },
      createWorkflow: async (workflow) => toWorkflow(await call('POST', '/workflows', workflowSchema, { body: workflowBody(workflow) })),
      updateWorkflow: async (id, workflow) =>
        toWorkflow(await call('PUT', `/workflows/${encodeURIComponent(id)}`, workflowSchema, { body: workflowBody(workflow) })),
      publishWorkflow: async (id) => toWorkflow(await call('POST', `/workflows/${encodeURIComponent(id)}/publish`, workflowSchema)),
      unpublishWorkflow: async (id) => toWorkflow(await call('POST', `/workflows/${encodeURIComponent(id)}/unpublish`, workflowSchema)),
      retryExecution: async (id) => {
        const raw = await call('POST', `/executions/${encodeURIComponent(id)}/retry`, executionSchema.extend({ stoppedAt: nullableString }), {
          body: { loadWorkflow: false },
        });
        return toExecution(raw, false);
      },
      stopExecution: async (id) => call('POST', `/executions/${encodeURIComponent(id)}/stop`, stopSchema),
    };
  };
