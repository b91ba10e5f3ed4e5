import { ChannelEventStore } from '#shared/channel-events.ts';
import { getPool } from '#shared/db.ts';
import { httpHandler, ok } from '#shared/http.ts';
import { workspaces } from './realtime.composition.ts';
import { listMessagesRoute } from './realtime.manifest.ts';
import { listMessages } from './workspace.service.ts';

export const handler = httpHandler(listMessagesRoute, async ({ principal, params, query }) =>
  ok(await listMessages(await workspaces(), new ChannelEventStore(await getPool()), principal, params.workspaceId, query)),
);
