import { httpHandler, ok } from '#shared/http.ts';
import { workspaces } from './realtime.adapters.ts';
import { getWorkspaceRoute } from './realtime.routes.ts';
import { getWorkspace } from './workspace.service.ts';

export const handler = httpHandler(getWorkspaceRoute, async ({ principal, params }) =>
  ok(await getWorkspace(await workspaces(), principal, params.workspaceId)),
);
