/**
 * Pushes frames to the WebSocket connections subscribed to a channel, through the @connections API
 * (`@aws-sdk/client-apigatewaymanagementapi`): the realtime implementation of the EventFanout port.
 *
 * - Bounded concurrency across connections; the frames of one connection go in order, one at a time, so a
 *   batch of events arrives in seq order.
 * - GoneException: the connection is dead without a `$disconnect` (client vanished, or API Gateway lost
 *   it); it and its subscriptions are removed and the other subscribers of its workspaces see it leave.
 * - Subscriptions past their `expiresAt` (their connection's JWT expired) are skipped, not pruned: the
 *   connection's next action ends it (ws-action.ts).
 * - Any other failure is retried by the SDK client (standard retry mode: throttling, 5xx, network), then
 *   logged; the rest of the fan-out carries on.
 */
import type { ChannelEvent, EventFanout } from '#shared/channel-events.ts';
import { splitChannel, type ChannelKinds } from '#shared/channels.ts';
import { logger } from '#shared/observability.ts';
import { isLive, type ConnectionRepository, type SubscriptionItem } from './connection.ts';
import { eventFrameText, presenceEventFrame } from './frames.ts';

/**
 * Presence joins and leaves are pushed only in channels with at most this many subscribers: each one is a
 * post to every subscriber, so a crowd connecting or leaving at once would cost n² posts. Larger channels
 * still answer the `presence` action.
 */
export const PRESENCE_PUSH_MAX_SUBSCRIBERS = 100;

export type { PostOutcome } from '#shared/websocket.ts';
import type { FramePoster } from '#shared/websocket.ts';

/** Runs `fn` over `items` with at most `limit` in flight. */
export const forEachLimit = async <T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> => {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
};

export interface FanoutResult {
  delivered: number;
  gone: number;
  failed: number;
}

export class ChannelFanout implements EventFanout {
  readonly #connections: Pick<ConnectionRepository, 'subscribersOf' | 'removeConnection'>;
  readonly #poster: FramePoster;
  readonly #kinds: ChannelKinds;
  readonly #concurrency: number;

  /** `kinds`: the channel kinds whose events this fan-out pushes (their public names, pointers, presence). */
  constructor(
    connections: Pick<ConnectionRepository, 'subscribersOf' | 'removeConnection'>,
    poster: FramePoster,
    kinds: ChannelKinds,
    options: { concurrency?: number } = {},
  ) {
    this.#connections = connections;
    this.#poster = poster;
    this.#kinds = kinds;
    this.#concurrency = options.concurrency ?? Number(process.env.FANOUT_CONCURRENCY ?? 50);
  }

  /** The EventFanout port: stored events to every subscriber of their channel (of that tenant). */
  async fanOut(tenantId: string, events: ChannelEvent[]): Promise<void> {
    const byChannel = new Map<string, ChannelEvent[]>();
    for (const e of events) byChannel.set(e.channel, [...(byChannel.get(e.channel) ?? []), e]);
    for (const [channel, list] of byChannel) {
      const frames = list.sort((a, b) => a.seq - b.seq).map((e) => eventFrameText(e, this.#kinds));
      await this.pushToChannel(tenantId, channel, frames);
    }
  }

  /** Sends `frames` in order to each subscriber of `channel`; prunes connections that are gone. */
  async pushToChannel(
    tenantId: string,
    channel: string,
    frames: string[],
    options: { announceLeaves?: boolean; maxSubscribers?: number } = {},
  ): Promise<FanoutResult> {
    const result: FanoutResult = { delivered: 0, gone: 0, failed: 0 };
    const max = options.maxSubscribers;
    const found = await this.#connections.subscribersOf(channel, max === undefined ? undefined : max + 1);
    if (max !== undefined && found.length > max) return result;
    // Channel ids are unique across tenants; the tenant filter is a second lock on the door. Subscriptions
    // past their `expiresAt` (the connection's JWT expired) get nothing: no lookup needed, it is on the item.
    const now = Date.now();
    const subscribers = found.filter((s) => s.tenantId === tenantId && isLive(s, now));
    const pruned: SubscriptionItem[] = [];
    await forEachLimit(subscribers, this.#concurrency, async (sub) => {
      for (const text of frames) {
        const outcome = await this.#poster.post(sub.connectionId, text);
        if (outcome === 'gone') {
          result.gone++;
          pruned.push(
            ...(await this.#connections.removeConnection(sub.connectionId).catch((error: unknown) => {
              logger.warn('Could not remove a gone connection', { connectionId: sub.connectionId, error: error as Error });
              return [];
            })),
          );
          return;
        }
        if (outcome === 'failed') result.failed++;
        else result.delivered++;
      }
    });
    if (result.gone > 0) logger.info('Pruned gone connections', { channel, gone: result.gone });
    if (options.announceLeaves !== false) await this.announceLeaves(pruned);
    return result;
  }

  /** Pushes a presence frame to a workspace's subscribers, unless the channel is too crowded for that. */
  async pushPresence(tenantId: string, channel: string, frame: object, options: { announceLeaves?: boolean } = {}): Promise<void> {
    await this.pushToChannel(tenantId, channel, [JSON.stringify(frame)], { ...options, maxSubscribers: PRESENCE_PUSH_MAX_SUBSCRIBERS });
  }

  /** Tells the remaining subscribers of each workspace that these subscriptions left. */
  async announceLeaves(left: SubscriptionItem[]): Promise<void> {
    for (const sub of left) {
      if (!this.#kinds.get(splitChannel(sub.channel).kind)?.presence) continue;
      const frame = presenceEventFrame(sub.channel, 'presence.leave', sub.userId, sub.connectionId);
      // One level only: connections found gone while announcing are pruned, not announced again.
      await this.pushPresence(sub.tenantId, sub.channel, frame, { announceLeaves: false });
    }
  }
}
