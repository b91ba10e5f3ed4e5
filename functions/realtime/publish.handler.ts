/** WebSocket action `publish` (docs/realtime.md). */
import { publishFrame } from './frames.ts';
import { publish } from './realtime.service.ts';
import { wsAction } from './ws-action.ts';

export const handler = wsAction(publishFrame, publish);
