/**
 * The realtime domain's public surface: what other domains may import from it, and nothing else.
 * - `createEventFanout`: pushes a domain's stored channel events to live WebSocket subscribers.
 * - `endSessionsOf`: ends a user's live connections at once (the platform, when an API key is revoked).
 */
import { channelKinds } from '#shared/channels.ts';
import { logger } from '#shared/observability.ts';

export { createEventFanout, type EventFanoutOptions } from './event-fanout.ts';

/**
 * Ends `userId`'s live connections in `tenantId` at once. Never throws: a connection that cannot be reached
 * or cleaned up is logged and left to the next action's credential check, the TTL, or `$disconnect`.
 */
export const endSessionsOf = async (tenantId: string, userId: string): Promise<void> => {
  try {
    // Loaded here, not at import: the other domains' functions import this module, and only the one that
    // revokes a key needs the connections table and the @connections API (a chunk of its own in a bundle).
    const [{ connectionsApi }, { ChannelFanout }, { DynamoConnectionRepository }, { endSessionsOf: endSessions }, { workspaceChannelKind }] =
      await Promise.all([
        import('#shared/websocket.ts'),
        import('./channel-fanout.ts'),
        import('./connection.repository.ts'),
        import('./realtime.service.ts'),
        import('./workspace.access.ts'),
      ]);
    const api = connectionsApi();
    const subscriptions = DynamoConnectionRepository.fromEnv();
    // Leaving announces presence in the workspaces the connections were in: the only kind that keeps it.
    const fanout = new ChannelFanout(subscriptions, api, channelKinds([workspaceChannelKind()]));
    const ports = { subscriptions, fanout, send: (id: string, text: string) => api.post(id, text), close: (id: string) => api.close(id) };
    const { ended, failed } = await endSessions(ports, tenantId, userId);
    if (ended > 0) logger.info('Ended the connections of a revoked credential', { userId, ended });
    for (const { connectionId, error } of failed) logger.warn('Could not end a connection', { userId, connectionId, error: error as Error });
  } catch (error) {
    logger.warn('Could not end the connections of a revoked credential', { userId, error: error as Error });
  }
};
