import { httpHandler, ok } from '#shared/http.ts';
import { workspaces } from './realtime.composition.ts';
import { renameWorkspaceRoute } from './realtime.manifest.ts';
import { renameWorkspace } from './workspace.service.ts';

export const handler = httpHandler(renameWorkspaceRoute, async ({ principal, params, body }) =>
  ok(await renameWorkspace(await workspaces(), principal, params.workspaceId, body.name)),
);
