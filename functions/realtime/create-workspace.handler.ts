import { created, httpHandler } from '#shared/http.ts';
import { workspaces } from './realtime.composition.ts';
import { createWorkspaceRoute } from './realtime.manifest.ts';
import { createWorkspace } from './workspace.service.ts';

export const handler = httpHandler(createWorkspaceRoute, async ({ principal, body }) =>
  created(await createWorkspace(await workspaces(), principal, body)),
);
