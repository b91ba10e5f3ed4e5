/**
 * The real EventFanout: stored channel events pushed to every WebSocket subscriber of the channel (the
 * realtime domain's subscriptions in DynamoDB, delivered through the @connections API). A domain that writes
 * to a channel builds one per cold start, with the channel kinds it writes, and hands it to its event store:
 *
 *   const events = new ChannelEventStore(await getPool(), createEventFanout({ channels: channelKinds([myKind]) }));
 *
 * Needs CONNECTIONS_TABLE (read/write: gone connections are pruned) and WEBSOCKET_CALLBACK_URL, i.e. the
 * manifest access `{ tables: { connections: 'readwrite' }, websocketManagement: true }`. Clients are
 * built lazily, so a store that never appends never needs either. Push failures are logged, never thrown.
 */
import type { ChannelEvent, EventFanout } from '#shared/channel-events.ts';
import type { ChannelKinds } from '#shared/channels.ts';
import { logger } from '#shared/observability.ts';
import { connectionsApi } from '#shared/websocket.ts';
import { ChannelFanout } from './channel-fanout.ts';
import { DynamoConnectionRepository } from './connection.repository.ts';

export interface EventFanoutOptions {
  /** The kinds of the channels written through it: how clients name them, where big events can be fetched. */
  channels: ChannelKinds;
  /** Connections posted to at once. Default FANOUT_CONCURRENCY or 50. */
  concurrency?: number;
}

export const createEventFanout = (options: EventFanoutOptions): EventFanout => {
  let fanout: ChannelFanout | undefined;
  return {
    fanOut: async (tenantId: string, events: ChannelEvent[]): Promise<void> => {
      if (events.length === 0) return;
      // The events are stored before this runs and clients resume from the log (`afterSeq`), so a failed
      // push is logged rather than failing the writer (a publish, an agent step).
      try {
        fanout ??= new ChannelFanout(DynamoConnectionRepository.fromEnv(), connectionsApi(), options.channels, options);
        await fanout.fanOut(tenantId, events);
      } catch (error) {
        logger.error('Fan-out failed; subscribers will catch up on resume', { channel: events[0]!.channel, error: error as Error });
      }
    },
  };
};
