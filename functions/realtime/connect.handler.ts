/** `$connect`: the authorizer has already accepted `?token=`; remember the connection and its principal. */
import { credentialExpiryFrom, principalFrom } from '#shared/principal.ts';
import { wsHandler } from '#shared/websocket.ts';
import { connectionItem } from './connection.ts';
import { connections } from './realtime.composition.ts';

export const handler = wsHandler(async (event) => {
  if (event.requestContext.eventType !== 'CONNECT') return { statusCode: 400, body: '' };
  const principal = principalFrom(event.requestContext.authorizer);
  const connectedAt = new Date(event.requestContext.connectedAt ?? Date.now());
  await connections().put(
    connectionItem(event.requestContext.connectionId, principal, connectedAt, credentialExpiryFrom(event.requestContext.authorizer)),
  );
  return { statusCode: 200, body: '' };
});
