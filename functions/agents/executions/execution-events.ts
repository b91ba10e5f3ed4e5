/** The events port of the agent loop: every event goes to the channel `execution:<id>`. */
import type { ChannelEventStore, NewChannelEvent } from '#shared/channel-events.ts';

import { executionChannelName } from './execution-channel.ts';

export interface ExecutionEvents {
  emit(tenantId: string, executionId: string, events: NewChannelEvent[]): Promise<void>;
}

export const channelExecutionEvents = (store: ChannelEventStore): ExecutionEvents => ({
  emit: async (tenantId, executionId, events) => {
    await store.append(tenantId, executionChannelName(executionId), events);
  },
});
