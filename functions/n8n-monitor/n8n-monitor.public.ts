/**
 * The n8n monitor's public surface: what other domains may import from it, and nothing else.
 * - `n8nChannel()`: the tenant-wide `n8n` channel kind, for realtime's channel registry. The monitor writes
 *   its events (executions seen, alerts firing) there; every principal of the tenant may subscribe.
 */
import type { ChannelKind } from '#shared/channels.ts';

export const n8nChannel = (): ChannelKind => ({ kind: 'n8n', scope: 'tenant' });
