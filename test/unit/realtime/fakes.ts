/**
 * In-memory stand-ins for the realtime domain's ports, faithful enough that the use cases and the fan-out can
 * be exercised without DynamoDB, PostgreSQL or API Gateway:
 *
 * - MemoryConnections: the `connections` table of connection.repository.ts (one partition per connection,
 *   subscriptions keyed by connection + channel, gsi1 by channel and by user).
 * - MemoryEventLog: ChannelEventStore (functions/shared/channel-events.ts): per-channel seqs from 1, reads by
 *   tenant, and `append` = store then fan out.
 * - RecordingPoster: the @connections API (ManagementApiPoster): records what each connection was sent, and
 *   can be told that a connection is gone or failing.
 * - MemoryWorkspaces / MemoryExecutions: the lookups behind the workspace and execution channel kinds.
 */
import type { ExecutionRecord } from '#functions/agents/executions/execution.ts';
import type { WorkspaceRole } from '#functions/realtime/realtime.contracts.ts';
import { userPartition, type ConnectionItem, type ConnectionRepository, type SubscriptionItem } from '#functions/realtime/connection.ts';
import type { WorkspaceLookup } from '#functions/realtime/workspace.access.ts';
import type { WorkspaceRecord } from '#functions/realtime/workspace.ts';
import { storeOnly, type ChannelEvent, type EventFanout, type NewChannelEvent } from '#shared/channel-events.ts';
import type { FramePoster, PostOutcome } from '#shared/websocket.ts';

type Item = ConnectionItem | SubscriptionItem;

const isSubscription = (item: Item): item is SubscriptionItem => item.sk.startsWith('sub#');

/** DynamoDB hands back copies: nobody outside mutates what is stored. */
const copy = <T extends object>(item: T): T => ({ ...item });

const byKey = (key: 'sk' | 'gsi1sk') => (a: Item, b: Item) => (a[key] < b[key] ? -1 : a[key] > b[key] ? 1 : 0);

/**
 * The `connections` table in memory: items by `pk` then `sk`, as in DynamoDB. gsi1 queries scan and sort by
 * `gsi1sk`, which is what the index returns.
 */
export class MemoryConnections implements ConnectionRepository {
  readonly #partitions = new Map<string, Map<string, Item>>();

  #putItem(item: Item): void {
    const partition = this.#partitions.get(item.pk) ?? new Map<string, Item>();
    partition.set(item.sk, copy(item));
    this.#partitions.set(item.pk, partition);
  }

  #deleteItem(pk: string, sk: string): Item | undefined {
    const partition = this.#partitions.get(pk);
    const old = partition?.get(sk);
    partition?.delete(sk);
    if (partition?.size === 0) this.#partitions.delete(pk);
    return old;
  }

  #index(gsi1pk: string): Item[] {
    return [...this.#partitions.values()]
      .flatMap((p) => [...p.values()])
      .filter((i) => i.gsi1pk === gsi1pk)
      .sort(byKey('gsi1sk'))
      .map(copy);
  }

  async put(item: ConnectionItem): Promise<void> {
    this.#putItem(item);
  }

  async delete(connectionId: string): Promise<void> {
    this.#deleteItem(`conn#${connectionId}`, 'meta');
  }

  async putSubscription(item: SubscriptionItem): Promise<void> {
    this.#putItem(item);
  }

  async deleteSubscription(connectionId: string, channel: string): Promise<boolean> {
    return this.#deleteItem(`conn#${connectionId}`, `sub#${channel}`) !== undefined;
  }

  async subscribersOf(channel: string, limit?: number): Promise<SubscriptionItem[]> {
    const found = this.#index(`chan#${channel}`).filter(isSubscription);
    return limit === undefined ? found : found.slice(0, limit);
  }

  async connectionsOf(tenantId: string, userId: string): Promise<ConnectionItem[]> {
    return this.#index(userPartition(tenantId, userId)).filter((i): i is ConnectionItem => i.sk === 'meta');
  }

  async removeConnection(connectionId: string): Promise<SubscriptionItem[]> {
    const pk = `conn#${connectionId}`;
    const items = [...(this.#partitions.get(pk)?.values() ?? [])].sort(byKey('sk'));
    this.#partitions.delete(pk);
    return items.filter(isSubscription).map(copy);
  }

  async dropChannel(channel: string, userId?: string): Promise<SubscriptionItem[]> {
    const subs = (await this.subscribersOf(channel)).filter((s) => userId === undefined || s.userId === userId);
    for (const s of subs) this.#deleteItem(s.pk, s.sk);
    return subs;
  }

  /** Every subscription of one connection (the table's partition), for assertions. */
  subscriptionsOf(connectionId: string): SubscriptionItem[] {
    return [...(this.#partitions.get(`conn#${connectionId}`)?.values() ?? [])].filter(isSubscription).sort(byKey('sk')).map(copy);
  }
}

/**
 * The channel event log in memory. Like ChannelEventStore: seqs are allocated per channel (channel_heads is
 * keyed by channel alone) starting at 1, reads are scoped by tenant, and `append` stores, then fans out.
 */
export class MemoryEventLog {
  readonly fanout: EventFanout;
  readonly #events: Array<ChannelEvent & { tenantId: string }> = [];
  readonly #heads = new Map<string, number>();
  /**
   * Runs once a `listAfter` page has been read and before it is returned: a test uses it to have another
   * writer append exactly between a subscriber's read of the log and the end of its subscribe.
   */
  afterRead: ((channel: string) => Promise<void>) | undefined;

  constructor(fanout: EventFanout = storeOnly) {
    this.fanout = fanout;
  }

  async append(tenantId: string, channel: string, events: NewChannelEvent[]): Promise<ChannelEvent[]> {
    if (events.length === 0) return [];
    const stored = await this.store(tenantId, channel, events);
    await this.fanout.fanOut(tenantId, stored);
    return stored;
  }

  /** Stores without fan-out (history written while nobody listened). */
  async store(tenantId: string, channel: string, events: NewChannelEvent[]): Promise<ChannelEvent[]> {
    const head = this.#heads.get(channel) ?? 0;
    this.#heads.set(channel, head + events.length);
    const at = new Date().toISOString();
    const stored = events.map((e, i) => ({ channel, seq: head + i + 1, kind: e.kind, at, data: e.data ?? {} }));
    this.#events.push(...stored.map((e) => ({ ...e, tenantId })));
    return stored.map(copy);
  }

  async listAfter(tenantId: string, channel: string, afterSeq: number, limit: number): Promise<ChannelEvent[]> {
    const page = this.#events
      .filter((e) => e.channel === channel && e.tenantId === tenantId && e.seq > afterSeq)
      .sort((a, b) => a.seq - b.seq)
      .slice(0, limit)
      .map(({ tenantId: _tenant, ...event }) => event);
    await this.afterRead?.(channel);
    return page;
  }

  async head(channel: string): Promise<number> {
    return this.#heads.get(channel) ?? 0;
  }
}

/** The shape of what a connection receives; every field is optional since frames differ by type. */
export interface ReceivedFrame {
  type?: string;
  channel?: string;
  seq?: number;
  status?: number;
  detail?: string;
  id?: string;
  truncated?: boolean;
  fetch?: string;
  event?: { kind: string; at: string; data?: { userId?: string; connectionId?: string; body?: unknown } & Record<string, unknown> };
}

/**
 * The @connections API in memory. A connection marked gone (or closed) answers 'gone' as API Gateway's
 * GoneException does; one marked failing answers 'failed' (retries exhausted). Only posts that reached the
 * connection count as received.
 */
export class RecordingPoster implements FramePoster {
  readonly #received = new Map<string, string[]>();
  readonly #attempts = new Map<string, number>();
  readonly #gone = new Set<string>();
  readonly #failing = new Set<string>();
  readonly #closeFails = new Set<string>();
  readonly closed: string[] = [];
  /**
   * Macrotask turns a post takes before it lands; lets tests make posts overtake each other when they are
   * not awaited one after another.
   */
  latency: ((connectionId: string, text: string) => number) | undefined;

  markGone(...connectionIds: string[]): void {
    for (const id of connectionIds) this.#gone.add(id);
  }

  markFailing(...connectionIds: string[]): void {
    for (const id of connectionIds) this.#failing.add(id);
  }

  /** DeleteConnection of this connection throws (not a GoneException). */
  failCloseOf(connectionId: string): void {
    this.#closeFails.add(connectionId);
  }

  async post(connectionId: string, text: string): Promise<PostOutcome> {
    this.#attempts.set(connectionId, (this.#attempts.get(connectionId) ?? 0) + 1);
    for (let turns = this.latency?.(connectionId, text) ?? 0; turns > 0; turns--) await new Promise((r) => setImmediate(r));
    if (this.#gone.has(connectionId)) return 'gone';
    if (this.#failing.has(connectionId)) return 'failed';
    this.#received.set(connectionId, [...(this.#received.get(connectionId) ?? []), text]);
    return 'ok';
  }

  async close(connectionId: string): Promise<void> {
    if (this.#closeFails.has(connectionId)) throw new Error(`DeleteConnection failed for ${connectionId}`);
    this.closed.push(connectionId);
    this.#gone.add(connectionId);
  }

  /** The frames that reached `connectionId`, parsed, in arrival order. */
  framesTo(connectionId: string): ReceivedFrame[] {
    return (this.#received.get(connectionId) ?? []).map((t) => JSON.parse(t) as ReceivedFrame);
  }

  /** The raw texts that reached `connectionId`, in arrival order. */
  textsTo(connectionId: string): string[] {
    return [...(this.#received.get(connectionId) ?? [])];
  }

  /** Posts tried to `connectionId`, delivered or not. */
  attemptsTo(connectionId: string): number {
    return this.#attempts.get(connectionId) ?? 0;
  }
}

/**
 * Workspaces and memberships in memory, answering like PgWorkspaceRepository.find: the tenant's workspace
 * with the user's role in it (null when not a member), undefined for a missing workspace or another tenant's.
 */
export class MemoryWorkspaces implements WorkspaceLookup {
  readonly #workspaces = new Map<string, { record: Omit<WorkspaceRecord, 'role'>; members: Map<string, WorkspaceRole> }>();

  add(tenantId: string, workspaceId: string, members: Record<string, WorkspaceRole>): void {
    const createdBy = Object.keys(members)[0] ?? 'nobody';
    const now = new Date();
    this.#workspaces.set(workspaceId, {
      record: { workspaceId, tenantId, name: workspaceId, createdBy, createdAt: now, updatedAt: now },
      members: new Map(Object.entries(members)),
    });
  }

  async find(tenantId: string, workspaceId: string, userId: string): Promise<WorkspaceRecord | undefined> {
    const found = this.#workspaces.get(workspaceId);
    if (!found || found.record.tenantId !== tenantId) return undefined;
    return { ...found.record, role: found.members.get(userId) ?? null };
  }
}

/** Executions in memory, for the execution channel kind's check (tenant-scoped like the repository). */
export class MemoryExecutions {
  readonly #executions = new Map<string, ExecutionRecord>();

  add(tenantId: string, id: string): void {
    const now = new Date();
    this.#executions.set(id, {
      id,
      tenantId,
      agentId: 'agt_test',
      agentVersion: 1,
      status: 'running',
      input: { text: 'hi' },
      output: null,
      error: null,
      inputTokens: 0,
      outputTokens: 0,
      stepCount: 0,
      sfnExecutionArn: null,
      cancelRequestedAt: null,
      createdBy: null,
      createdAt: now,
      startedAt: now,
      finishedAt: null,
      pendingToolCall: null,
    });
  }

  async find(tenantId: string, id: string): Promise<ExecutionRecord | undefined> {
    const found = this.#executions.get(id);
    return found && found.tenantId === tenantId ? { ...found } : undefined;
  }
}
