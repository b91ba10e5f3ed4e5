import { httpHandler, ok } from '#shared/http.ts';
import { getAgentAnalyticsRoute } from '../agents.manifest.ts';
import { agents, analytics } from './analytics.composition.ts';
import { getAgentAnalytics } from './analytics.service.ts';

export const handler = httpHandler(getAgentAnalyticsRoute, async ({ principal, params, query }) =>
  ok(await getAgentAnalytics(await agents(), await analytics(), principal, params.agentId, query)),
);
