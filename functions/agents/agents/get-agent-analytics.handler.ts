import { httpHandler, ok } from '#shared/http.ts';
import { getAgentAnalyticsRoute } from '../agents.routes.ts';
import { agents, analytics } from './agents.adapters.ts';
import { getAgentAnalytics } from './analytics.service.ts';

export const handler = httpHandler(getAgentAnalyticsRoute, async ({ principal, params, query }) =>
  ok(await getAgentAnalytics(await agents(), await analytics(), principal, params.agentId, query)),
);
