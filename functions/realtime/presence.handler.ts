/** WebSocket action `presence` (docs/realtime.md). */
import { presenceFrame } from './frames.ts';
import { presence } from './realtime.service.ts';
import { wsAction } from './ws-action.ts';

export const handler = wsAction(presenceFrame, presence);
