/**
 * Kinds of WebSocket channel. Each kind is declared by the domain that owns it and writes its events
 * (`workspace:` by realtime, `execution:` by agents, `n8n` by the n8n monitor); the realtime domain only
 * routes them. A domain exports its kind from its public module, and realtime's composition root gathers
 * them into the registry its WebSocket actions resolve channel names with.
 *
 * Names: a resource-scoped kind has one channel per resource, `<kind>:<id>`, under that name for clients and
 * in the event log. A tenant-scoped kind has one channel per tenant: clients say just `<kind>`, and its log
 * is `<kind>:<tenantId>`.
 */
import type { Principal } from './principal.ts';

export type ChannelAccess = 'read' | 'write';

export interface ChannelKind {
  /** The name before `:` (or the whole name of a tenant-scoped kind). Lower-case letters, digits, dashes. */
  kind: string;
  scope: 'resource' | 'tenant';
  /** The ids this kind accepts (resource scope): checked before any lookup; a mismatch is a 400 naming `channel`. */
  idPattern?: RegExp;
  /** What the id looks like, for that 400's message, e.g. `wsp_…`. */
  idHint?: string;
  /** Clients may publish on it. Default false: only its owner writes, through the event log. */
  publish?: boolean;
  /** Presence (joins, leaves, the `presence` action) is kept for it. */
  presence?: boolean;
  /**
   * Throws (NotFoundError, ForbiddenError) unless the caller may read (subscribe, presence) or write (publish)
   * the channel. Without it every principal of the tenant may read; writes still need `publish`.
   */
  authorize?(caller: Principal, id: string, access: ChannelAccess): Promise<void>;
  /** Where one event too large to push can be read over REST (`fetch` on its pointer frame). */
  fetchPath?(id: string, seq: number): string;
}

/** The kinds a process knows, by name. */
export type ChannelKinds = ReadonlyMap<string, ChannelKind>;

export const channelKinds = (kinds: ChannelKind[]): ChannelKinds => new Map(kinds.map((k) => [k.kind, k]));

/** `execution:exe_1` -> `{ kind: 'execution', id: 'exe_1' }`; `n8n` -> `{ kind: 'n8n', id: '' }`. */
export const splitChannel = (name: string): { kind: string; id: string } => {
  const separator = name.indexOf(':');
  return separator < 0 ? { kind: name, id: '' } : { kind: name.slice(0, separator), id: name.slice(separator + 1) };
};

/** The event-log name of a channel a client named. */
export const logNameOf = (kind: ChannelKind, id: string, tenantId: string): string =>
  kind.scope === 'tenant' ? `${kind.kind}:${tenantId}` : `${kind.kind}:${id}`;

/** What clients call a channel whose log is `log`: tenant-scoped kinds drop the tenant. */
export const publicNameOf = (kinds: ChannelKinds, log: string): string => {
  const { kind } = splitChannel(log);
  return kinds.get(kind)?.scope === 'tenant' ? kind : log;
};

/** The REST path of one event of a channel, when its kind has one. */
export const fetchPathOf = (kinds: ChannelKinds, log: string, seq: number): string | undefined => {
  const { kind, id } = splitChannel(log);
  const found = kinds.get(kind);
  return found?.scope === 'resource' ? found.fetchPath?.(id, seq) : undefined;
};
