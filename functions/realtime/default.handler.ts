/**
 * Route keys `$default` and `ping`: answers over the @connections API; the connection stays open, unless its
 * credentials have lapsed since `$connect` (then it is ended like any other action's, see ws-action.ts).
 */
import { sendFrame, wsHandler } from '#shared/websocket.ts';
import { frameIdOf, replyTo } from './frames.ts';
import { callerOf, endIfCredentialsLapsed } from './ws-action.ts';

export const handler = wsHandler(async (event) => {
  if (await endIfCredentialsLapsed(event, callerOf(event))) return { statusCode: 200, body: '' };
  const id = frameIdOf(event.body);
  await sendFrame(event, { ...replyTo(event.body), ...(id !== undefined ? { id } : {}) });
  return { statusCode: 200, body: '' };
});
