import { httpHandler, noContent } from '#shared/http.ts';
import { connections, workspaces } from './realtime.composition.ts';
import { deleteWorkspaceRoute } from './realtime.manifest.ts';
import { deleteWorkspace } from './workspace.service.ts';

/** Also ends the live subscriptions to the workspace's channel. */
export const handler = httpHandler(deleteWorkspaceRoute, async ({ principal, params }) => {
  await deleteWorkspace(await workspaces(), connections(), principal, params.workspaceId);
  return noContent();
});
