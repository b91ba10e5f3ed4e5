/**
 * `$disconnect`: forget the connection and its subscriptions, and tell its workspaces it left. API Gateway
 * does not always deliver `$disconnect`: fan-out prunes on GoneException and the TTL is the last backstop.
 */
import { wsHandler } from '#shared/websocket.ts';
import { connections, fanout } from './realtime.composition.ts';
import { disconnect } from './realtime.service.ts';

export const handler = wsHandler(async (event) => {
  // Only the gateway's own disconnect event: a message that reached this route by naming it would let a
  // client drop its subscriptions records while its socket stays open and keeps receiving pushes.
  if (event.requestContext.eventType !== 'DISCONNECT') return { statusCode: 400, body: '' };
  await disconnect({ subscriptions: connections(), fanout: fanout() }, event.requestContext.connectionId);
  return { statusCode: 200, body: '' };
});
