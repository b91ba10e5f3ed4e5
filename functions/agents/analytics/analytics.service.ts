/** Per-agent analytics over a time window. */
import { NotFoundError, ValidationError } from '#shared/errors.ts';
import type { Principal } from '#shared/principal.ts';
import { MAX_ANALYTICS_DAYS, type AgentAnalyticsView } from '../agents.contracts.ts';
import type { AgentRepository } from '../definitions/agent.ts';
import type { AnalyticsRepository } from './analytics.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_WINDOW_DAYS = 7;

/** `[from, to)`: default the last 7 days; `from` must come before `to`, and the window is bounded. */
export const analyticsWindow = (query: { from?: string | undefined; to?: string | undefined }, now = new Date()): { from: Date; to: Date } => {
  const to = query.to ? new Date(query.to) : now;
  const from = query.from ? new Date(query.from) : new Date(to.getTime() - DEFAULT_WINDOW_DAYS * DAY_MS);
  if (from.getTime() >= to.getTime()) {
    throw new ValidationError('from must be before to', [{ path: 'query.from', message: `Must be before to (${to.toISOString()})` }]);
  }
  if (to.getTime() - from.getTime() > MAX_ANALYTICS_DAYS * DAY_MS) {
    throw new ValidationError(`The window is longer than ${MAX_ANALYTICS_DAYS} days`, [
      { path: 'query.from', message: `At most ${MAX_ANALYTICS_DAYS} days before to` },
    ]);
  }
  return { from, to };
};

/** Deleted agents keep their analytics: their executions are history, not garbage. */
export const getAgentAnalytics = async (
  agents: AgentRepository,
  analytics: AnalyticsRepository,
  caller: Principal,
  agentId: string,
  query: { from?: string | undefined; to?: string | undefined },
): Promise<AgentAnalyticsView> => {
  const { from, to } = analyticsWindow(query);
  if (!(await agents.existedInTenant(caller.tenantId, agentId))) throw new NotFoundError(`No agent ${agentId} in this tenant`);
  const row = await analytics.forAgent(caller.tenantId, agentId, from, to);
  const { runs, succeeded, failed, cancelled, inProgress, p50, p95 } = row.totals;
  const finished = succeeded + failed + cancelled;
  return {
    agentId,
    from: from.toISOString(),
    to: to.toISOString(),
    runs,
    succeeded,
    failed,
    cancelled,
    inProgress,
    successRate: finished === 0 ? null : succeeded / finished,
    durationMs: { p50, p95 },
    tokensByModel: row.tokens,
    toolUsage: row.tools,
    topErrors: row.errors,
  };
};
