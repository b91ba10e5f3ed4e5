/**
 * The event log behind every channel. Appending allocates the channel's next sequence numbers atomically
 * (one upsert on channel_heads, row-locked, so concurrent writers never share or skip a seq), stores the
 * events, and hands them to the fan-out port, which pushes them to live subscribers. Reading by `afterSeq`
 * is how a client catches up after a reconnect.
 */
import type { Queryable } from './db.ts';
import { toStoredJson } from './stored-json.ts';

export interface ChannelEvent {
  channel: string;
  seq: number;
  kind: string;
  at: string;
  data: unknown;
}

export interface NewChannelEvent {
  kind: string;
  data?: unknown;
}

/** Pushes stored events to whoever listens live; the realtime domain provides the WebSocket one. */
export interface EventFanout {
  fanOut(tenantId: string, events: ChannelEvent[]): Promise<void>;
}

/** For places with no live listeners (tests of storage alone, batch jobs): events are stored, not pushed. */
export const storeOnly: EventFanout = { fanOut: async () => undefined };

interface EventRow {
  channel: string;
  seq: string;
  kind: string;
  at: Date;
  data: unknown;
}

const toEvent = (row: EventRow): ChannelEvent => ({
  channel: row.channel,
  seq: Number(row.seq),
  kind: row.kind,
  at: row.at.toISOString(),
  data: row.data,
});

/** The events ($4, a JSON array) numbered below the new head ($3 of them) of channel $1, for tenant $2. */
const INSERT_EVENTS = `INSERT INTO channel_events (channel, seq, tenant_id, kind, data)
       SELECT $1, head.last_seq - $3 + e.ord, $2, e.item->>'kind', e.item->'data'
       FROM head, jsonb_array_elements($4::jsonb) WITH ORDINALITY AS e(item, ord)
       RETURNING channel, seq, kind, at, data`;

export class ChannelEventStore {
  readonly db: Queryable;
  readonly fanout: EventFanout;

  constructor(db: Queryable, fanout: EventFanout = storeOnly) {
    this.db = db;
    this.fanout = fanout;
  }

  /** Stores the events under the next seqs of `channel`, then fans them out. */
  async append(tenantId: string, channel: string, events: NewChannelEvent[]): Promise<ChannelEvent[]> {
    if (events.length === 0) return [];
    const stored = await this.store(tenantId, channel, events);
    await this.fanout.fanOut(tenantId, stored);
    return stored;
  }

  /** Stores without fan-out; use inside a transaction, then call `fanout.fanOut` after commit. */
  async store(tenantId: string, channel: string, events: NewChannelEvent[]): Promise<ChannelEvent[]> {
    if (events.length === 0) return [];
    // Event data comes from tools and models too; toStoredJson keeps jsonb from refusing NUL and lone surrogates.
    // One statement: reserve n seqs on the head row, then insert the events numbered below the new head.
    const { rows } = await this.db.query<EventRow>(
      `WITH head AS (
         INSERT INTO channel_heads (channel, last_seq) VALUES ($1, $3)
         ON CONFLICT (channel) DO UPDATE SET last_seq = channel_heads.last_seq + $3
         RETURNING last_seq
       )
       ${INSERT_EVENTS}`,
      [channel, tenantId, events.length, toStoredJson(events.map((e) => ({ kind: e.kind, data: e.data ?? {} })))],
    );
    return rows.map(toEvent).sort((a, b) => a.seq - b.seq);
  }

  /**
   * `store` in one statement (one round trip, its own transaction) behind a guard: `guard.sql` is a
   * `SELECT ... FOR UPDATE` of at most one row (parameters from $5 on, `guard.params`), and the events are
   * stored only if it finds that row. The lock orders this write after any transaction holding the row, and
   * PostgreSQL re-checks the guard's condition on the row as that transaction left it. Empty when it found none.
   */
  async storeGuarded(
    tenantId: string,
    channel: string,
    events: NewChannelEvent[],
    guard: { sql: string; params: unknown[] },
  ): Promise<ChannelEvent[]> {
    if (events.length === 0) return [];
    const { rows } = await this.db.query<EventRow>(
      `WITH guard AS (${guard.sql}),
       head AS (
         INSERT INTO channel_heads (channel, last_seq) SELECT $1::text, $3::bigint FROM guard
         ON CONFLICT (channel) DO UPDATE SET last_seq = channel_heads.last_seq + $3::bigint
         RETURNING last_seq
       )
       ${INSERT_EVENTS}`,
      [channel, tenantId, events.length, toStoredJson(events.map((e) => ({ kind: e.kind, data: e.data ?? {} }))), ...guard.params],
    );
    return rows.map(toEvent).sort((a, b) => a.seq - b.seq);
  }

  /** Events of a tenant's channel after `afterSeq`, oldest first. */
  async listAfter(tenantId: string, channel: string, afterSeq: number, limit: number): Promise<ChannelEvent[]> {
    const { rows } = await this.db.query<EventRow>(
      `SELECT channel, seq, kind, at, data FROM channel_events
       WHERE channel = $1 AND tenant_id = $2 AND seq > $3 ORDER BY seq LIMIT $4`,
      [channel, tenantId, afterSeq, limit],
    );
    return rows.map(toEvent);
  }

  /** Events of a tenant's channel before `beforeSeq` (or the newest), newest first. */
  async listBefore(tenantId: string, channel: string, beforeSeq: number | undefined, limit: number, kinds?: string[]): Promise<ChannelEvent[]> {
    const { rows } = await this.db.query<EventRow>(
      `SELECT channel, seq, kind, at, data FROM channel_events
       WHERE channel = $1 AND tenant_id = $2 AND ($3::bigint IS NULL OR seq < $3)
         AND ($5::text[] IS NULL OR kind = ANY($5))
       ORDER BY seq DESC LIMIT $4`,
      [channel, tenantId, beforeSeq ?? null, limit, kinds ?? null],
    );
    return rows.map(toEvent);
  }

  /** The channel's newest seq, 0 when nothing was published yet. */
  async head(channel: string): Promise<number> {
    const { rows } = await this.db.query<{ last_seq: string }>('SELECT last_seq FROM channel_heads WHERE channel = $1', [channel]);
    return rows[0] ? Number(rows[0].last_seq) : 0;
  }
}
