/**
 * Resolves a channel name a client sent against the registered channel kinds (functions/shared/channels.ts):
 * which kind it is, whether the caller may read or write it, and its event-log name.
 */
import { logNameOf, splitChannel, type ChannelAccess, type ChannelKind, type ChannelKinds } from '#shared/channels.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '#shared/errors.ts';
import type { Principal } from '#shared/principal.ts';

export interface ResolvedChannel {
  /** What clients call it: `workspace:<id>`, `execution:<id>`, `n8n`. */
  name: string;
  /** The event-log (and subscription) name: a tenant-scoped `n8n` is `n8n:<tenantId>`. */
  log: string;
  kind: ChannelKind;
}

const badChannel = (message: string) => new ValidationError(`Invalid channel: ${message}`, [{ path: 'channel', message }]);

/** The kind of `name` (404 when no domain registered it); the caller's right to it is not checked here. */
export const kindOf = (kinds: ChannelKinds, name: string): { kind: ChannelKind; id: string } => {
  const { kind, id } = splitChannel(name);
  const found = kinds.get(kind);
  if (!found) throw new NotFoundError(`No channel ${name}; known kinds: ${[...kinds.keys()].join(', ')}`);
  if (found.scope === 'tenant' && id !== '') throw badChannel(`The ${kind} channel is named just "${kind}"`);
  if (found.scope === 'resource' && (id === '' || (found.idPattern && !found.idPattern.test(id)))) {
    throw badChannel(`Expected ${found.idHint ?? `${kind}:<id>`}`);
  }
  return { kind: found, id };
};

/**
 * Checks that the caller may read (subscribe, presence) or write (publish) a channel: kinds without `publish`
 * are written by their owner only; the kind's own `authorize` decides the rest (404 for what the caller may
 * not see, as for any other resource of another tenant).
 */
export const resolveChannel = async (kinds: ChannelKinds, caller: Principal, name: string, access: ChannelAccess): Promise<ResolvedChannel> => {
  const { kind, id } = kindOf(kinds, name);
  if (access === 'write' && !kind.publish)
    throw new ForbiddenError(`${kind.kind} channels are written by the platform; clients cannot publish on them`);
  await kind.authorize?.(caller, id, access);
  return { name, log: logNameOf(kind, id, caller.tenantId), kind };
};
