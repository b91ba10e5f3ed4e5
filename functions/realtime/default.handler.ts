/** Route keys `$default` and `ping`: answers over the @connections API; the connection stays open. */
import { sendFrame, wsHandler } from '#shared/websocket.ts';
import { frameIdOf, replyTo } from './frames.ts';

export const handler = wsHandler(async (event) => {
  const id = frameIdOf(event.body);
  await sendFrame(event, { ...replyTo(event.body), ...(id !== undefined ? { id } : {}) });
  return { statusCode: 200, body: '' };
});
