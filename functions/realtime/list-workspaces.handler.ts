import { httpHandler, ok } from '#shared/http.ts';
import { workspaces } from './realtime.composition.ts';
import { listWorkspacesRoute } from './realtime.manifest.ts';
import { listWorkspaces } from './workspace.service.ts';

export const handler = httpHandler(listWorkspacesRoute, async ({ principal, query }) =>
  ok(await listWorkspaces(await workspaces(), principal, query)),
);
