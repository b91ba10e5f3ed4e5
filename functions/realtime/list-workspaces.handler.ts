import { httpHandler, ok } from '#shared/http.ts';
import { workspaces } from './realtime.adapters.ts';
import { listWorkspacesRoute } from './realtime.routes.ts';
import { listWorkspaces } from './workspace.service.ts';

export const handler = httpHandler(listWorkspacesRoute, async ({ principal, query }) =>
  ok(await listWorkspaces(await workspaces(), principal, query)),
);
