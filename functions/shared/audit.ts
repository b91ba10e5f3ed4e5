/**
 * The audit trail: who changed what. The HTTP stack (http.ts) records one entry per mutating call, so a new
 * route cannot skip it: every authenticated route whose method is not GET, unless the manifest marks it
 * `readOnly` (a POST that only computes an answer). Rejected and failed calls are recorded too (a denied
 * attempt is exactly what an auditor looks for), except 429s: a flood answered from memory must stay free.
 *
 * An entry holds the route template as its action, the resource type and id (from the path, or the id of
 * what a 201/202 created), the status, the request id and the source IP: never a body, a query string or a
 * header, so no secret or prompt reaches it. One INSERT into the append-only `audit_entries` table and one
 * event on the stage's bus (events.ts), in parallel. Writing is fail-open like the rate limiter: the change
 * has already happened, so a failed write is logged and counted (`AuditWriteFailed`, alarmed) instead of
 * turning a done change into an error the client would retry.
 *
 * WebSocket actions that change stored state (`publish`) are recorded the same way by the realtime domain's
 * action stack (`wsAuditEntryOf`), unless their manifest entry says `readOnly`.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { getPool } from './db.ts';
import { publishEvents } from './events.ts';
import { isAudited, type HttpRoute } from './manifest.types.ts';
import { logger, metrics, MetricUnit } from './observability.ts';
import type { Principal } from './principal.ts';

export type AuditOutcome = 'succeeded' | 'rejected' | 'failed';

export interface AuditEntry {
  tenantId: string;
  /** The principal's user id (`key:<keyId>` for API keys). */
  principal: string;
  /** The route template, e.g. `DELETE /v1/agents/{agentId}`. */
  action: string;
  resourceType: string;
  resourceId: string | null;
  status: number;
  outcome: AuditOutcome;
  requestId: string | null;
  sourceIp: string | null;
}

export { isAudited };

const MAX_TEXT = 200;
const ID_PATTERN = /^[A-Za-z0-9_.:@-]{1,200}$/;
const isParam = (segment: string | undefined): boolean => segment?.startsWith('{') === true;
const paramName = (segment: string): string => segment.slice(1, -1);
const clip = (value: string | null | undefined): string | null => (value == null ? null : value.slice(0, MAX_TEXT));

/** `executions` -> `executionId`, `api-keys` -> `keyId`, `mcp-servers` -> `serverId`: the id field a create answers with. */
const idFieldOf = (collection: string): string => `${(collection.split('-').at(-1) ?? collection).replace(/s$/, '')}Id`;

/** The id a create answered with, read from the (small) JSON response body; nothing else of the body is kept. */
const createdId = (collection: string, status: number, responseBody: string | undefined): string | undefined => {
  if ((status !== 201 && status !== 202) || !responseBody || responseBody.length > 65_536) return undefined;
  try {
    const body: unknown = JSON.parse(responseBody);
    if (body === null || typeof body !== 'object') return undefined;
    const value = (body as Record<string, unknown>)[idFieldOf(collection)];
    return typeof value === 'string' && ID_PATTERN.test(value) ? value : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The resource a call acts on, from the route template: `/v1/agents/{agentId}` is the agent named by the path;
 * `/v1/agents` (POST) the agent it created; `/v1/executions/{executionId}/cancel` the execution; and
 * `/v1/agents/{agentId}/executions` (POST) the execution it started, or the agent when nothing was started.
 */
export const resourceOf = (
  path: string,
  params: Record<string, string | undefined> | null | undefined,
  status: number,
  responseBody: string | undefined,
): { type: string; id: string | null } => {
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'v1') parts.shift();
  const param = (segment: string): string | null => clip(params?.[paramName(segment)]);
  const last = parts.at(-1);
  if (last === undefined) return { type: 'root', id: null };
  if (isParam(last)) return { type: parts.at(-2) ?? 'root', id: param(last) };
  const created = createdId(last, status, responseBody);
  if (created !== undefined) return { type: last, id: created };
  const parent = parts.at(-2);
  if (parent !== undefined && isParam(parent)) return { type: parts.at(-3) ?? last, id: param(parent) };
  return { type: last, id: null };
};

const outcomeOf = (status: number): AuditOutcome => (status >= 500 ? 'failed' : status >= 400 ? 'rejected' : 'succeeded');

/** The entry for one call, or undefined when the call is not audited (a read, a public route, a 429, no principal). */
export const auditEntryOf = (
  route: HttpRoute,
  event: Pick<APIGatewayProxyEvent, 'pathParameters' | 'requestContext'>,
  principal: Principal | undefined,
  status: number,
  responseBody: string | undefined,
): AuditEntry | undefined => {
  if (!isAudited(route) || !principal || status === 429) return undefined;
  const resource = resourceOf(route.path, event.pathParameters, status, responseBody);
  return {
    tenantId: principal.tenantId,
    principal: principal.userId,
    action: `${route.method} ${route.path}`,
    resourceType: resource.type,
    resourceId: resource.id,
    status,
    outcome: outcomeOf(status),
    requestId: clip(event.requestContext?.requestId),
    sourceIp: clip(event.requestContext?.identity?.sourceIp),
  };
};

/**
 * The entry for one WebSocket action frame (functions/realtime/ws-action.ts), the same shape as a REST call's:
 * the action is `ws:<route key>`, the resource the channel the frame named (as the client wrote it, kept only
 * when it is a well-formed name), the status that of the ack (200) or of the error frame. Never the frame's data.
 */
export const wsAuditEntryOf = (
  routeKey: string,
  requestContext: { requestId?: string; identity?: { sourceIp?: string } },
  principal: Principal | undefined,
  status: number,
  channel: string | undefined,
): AuditEntry | undefined => {
  if (!principal || status === 429) return undefined;
  return {
    tenantId: principal.tenantId,
    principal: principal.userId,
    action: `ws:${routeKey}`.slice(0, MAX_TEXT),
    resourceType: 'channels',
    resourceId: channel !== undefined && ID_PATTERN.test(channel) ? channel : null,
    status,
    outcome: outcomeOf(status),
    requestId: clip(requestContext.requestId),
    sourceIp: clip(requestContext.identity?.sourceIp),
  };
};

/** The port the HTTP stack records through (tests may pass their own). */
export type AuditRecorder = (entry: AuditEntry) => Promise<void>;

const insert = async (entry: AuditEntry): Promise<string> => {
  const pool = await getPool();
  const { rows } = await pool.query<{ at: Date }>(
    `INSERT INTO audit_entries (tenant_id, principal, action, resource_type, resource_id, status, outcome, request_id, source_ip)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING at`,
    [
      entry.tenantId,
      entry.principal,
      entry.action,
      entry.resourceType,
      entry.resourceId,
      entry.status,
      entry.outcome,
      entry.requestId,
      entry.sourceIp,
    ],
  );
  return rows[0]!.at.toISOString();
};

/** PostgreSQL first (the record), the bus beside it; neither failure reaches the caller. */
export const recordAudit: AuditRecorder = async (entry) => {
  const at = new Date().toISOString();
  const [stored] = await Promise.allSettled([
    insert(entry),
    publishEvents([{ source: 'audit', detailType: 'Audit Entry', detail: { ...entry, at } }]),
  ]);
  if (stored.status === 'rejected') {
    metrics.addMetric('AuditWriteFailed', MetricUnit.Count, 1);
    logger.error('Audit entry could not be written', { action: entry.action, error: (stored.reason as Error)?.message });
  }
};
