/** Route keys `$default` and `ping`: answers over the @connections API; the connection stays open. */
import { sendFrame, wsHandler } from '#shared/websocket.ts';
import { replyTo } from './frames.ts';

export const handler = wsHandler(async (event) => {
  await sendFrame(event, replyTo(event.body));
  return { statusCode: 200, body: '' };
});
