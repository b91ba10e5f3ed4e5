import { httpHandler, ok } from '#shared/http.ts';
import { workspaces } from './realtime.composition.ts';
import { listMembersRoute } from './realtime.manifest.ts';
import { listMembers } from './workspace.service.ts';

export const handler = httpHandler(listMembersRoute, async ({ principal, params, query }) =>
  ok(await listMembers(await workspaces(), principal, params.workspaceId, query)),
);
