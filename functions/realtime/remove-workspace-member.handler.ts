import { httpHandler, noContent } from '#shared/http.ts';
import { connections, workspaces } from './realtime.composition.ts';
import { removeMemberRoute } from './realtime.manifest.ts';
import { removeMember } from './workspace.service.ts';

/** Also ends the removed member's live subscriptions to the workspace. */
export const handler = httpHandler(removeMemberRoute, async ({ principal, params }) => {
  await removeMember(await workspaces(), connections(), principal, params.workspaceId, params.userId);
  return noContent();
});
