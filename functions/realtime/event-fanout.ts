/**
 * The real EventFanout: stored channel events pushed to every WebSocket subscriber of the channel (the
 * realtime domain's subscriptions in DynamoDB, delivered through the @connections API). A domain that writes
 * to a channel builds one per cold start, with the channel kinds it writes, and hands it to its event store:
 *
 *   const events = new ChannelEventStore(await getPool(), createEventFanout({ channels: channelKinds([myKind]) }));
 *
 * Needs CONNECTIONS_TABLE (read/write: gone connections are pruned) and WEBSOCKET_CALLBACK_URL, i.e. the
 * manifest access `{ tables: { connections: 'readwrite' }, websocketManagement: true }`. The fan-out and its
 * clients (DynamoDB, @connections) are loaded on the first append, so a function that never appends never
 * loads them: a read such as GET /v1/executions/{id} does not pay for them on a cold start (in a bundle
 * they sit in a chunk of their own, lib/bundling.ts). Push failures are logged, never thrown.
 */
import type { ChannelEvent, EventFanout } from '#shared/channel-events.ts';
import type { ChannelKinds } from '#shared/channels.ts';
import { lazyPort } from '#shared/lazy-port.ts';
import { logger } from '#shared/observability.ts';
import type { ChannelFanout } from './channel-fanout.ts';

export interface EventFanoutOptions {
  /** The kinds of the channels written through it: how clients name them, where big events can be fetched. */
  channels: ChannelKinds;
  /** Connections posted to at once. Default FANOUT_CONCURRENCY or 50. */
  concurrency?: number;
}

const loadFanout = async (options: EventFanoutOptions): Promise<ChannelFanout> => {
  const [{ connectionsApi }, { ChannelFanout }, { DynamoConnectionRepository }] = await Promise.all([
    import('#shared/websocket.ts'),
    import('./channel-fanout.ts'),
    import('./connection.repository.ts'),
  ]);
  return new ChannelFanout(DynamoConnectionRepository.fromEnv(), connectionsApi(), options.channels, options);
};

export const createEventFanout = (options: EventFanoutOptions): EventFanout => {
  const fanout = lazyPort<EventFanout>(() => loadFanout(options), { fanOut: true });
  return {
    fanOut: async (tenantId: string, events: ChannelEvent[]): Promise<void> => {
      if (events.length === 0) return;
      // The events are stored before this runs and clients resume from the log (`afterSeq`), so a failed
      // push is logged rather than failing the writer (a publish, an agent step).
      try {
        await fanout.fanOut(tenantId, events);
      } catch (error) {
        logger.error('Fan-out failed; subscribers will catch up on resume', { channel: events[0]!.channel, error: error as Error });
      }
    },
  };
};
