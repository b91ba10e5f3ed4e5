import { created, httpHandler } from '#shared/http.ts';
import { workspaces } from './realtime.composition.ts';
import { addMemberRoute } from './realtime.manifest.ts';
import { addMember } from './workspace.service.ts';

export const handler = httpHandler(addMemberRoute, async ({ principal, params, body }) =>
  created(await addMember(await workspaces(), principal, params.workspaceId, body)),
);
