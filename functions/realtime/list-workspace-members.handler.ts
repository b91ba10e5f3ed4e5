import { httpHandler, ok } from '#shared/http.ts';
import { workspaces } from './realtime.adapters.ts';
import { listMembersRoute } from './realtime.routes.ts';
import { listMembers } from './workspace.service.ts';

export const handler = httpHandler(listMembersRoute, async ({ principal, params, query }) =>
  ok(await listMembers(await workspaces(), principal, params.workspaceId, query)),
);
