/** WebSocket action `unsubscribe` (docs/realtime.md). */
import { unsubscribeFrame } from './frames.ts';
import { unsubscribe } from './realtime.service.ts';
import { wsAction } from './ws-action.ts';

export const handler = wsAction(unsubscribeFrame, unsubscribe);
