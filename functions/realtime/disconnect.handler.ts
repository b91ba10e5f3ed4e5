/**
 * `$disconnect`: forget the connection and its subscriptions, and tell its workspaces it left. API Gateway
 * does not always deliver `$disconnect`: fan-out prunes on GoneException and the TTL is the last backstop.
 */
import { wsHandler } from '#shared/websocket.ts';
import { connections, fanout } from './realtime.composition.ts';
import { disconnect } from './realtime.service.ts';

export const handler = wsHandler(async (event) => {
  await disconnect({ subscriptions: connections(), fanout: fanout() }, event.requestContext.connectionId);
  return { statusCode: 200, body: '' };
});
