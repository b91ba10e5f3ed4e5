import { httpHandler, ok } from '#shared/http.ts';
import { workspaces } from './realtime.composition.ts';
import { getWorkspaceRoute } from './realtime.manifest.ts';
import { getWorkspace } from './workspace.service.ts';

export const handler = httpHandler(getWorkspaceRoute, async ({ principal, params }) =>
  ok(await getWorkspace(await workspaces(), principal, params.workspaceId)),
);
