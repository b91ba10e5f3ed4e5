/** WebSocket action `subscribe` (docs/realtime.md). */
import { subscribeFrame } from './frames.ts';
import { subscribe } from './realtime.service.ts';
import { wsAction } from './ws-action.ts';

export const handler = wsAction(subscribeFrame, subscribe);
