/** `$connect`: the authorizer has already accepted `?token=`; remember the connection and its principal. */
import { principalFrom } from '#shared/principal.ts';
import { wsHandler } from '#shared/websocket.ts';
import { ConnectionRepository, connectionItem } from './connection.repository.ts';

let connections: ConnectionRepository | undefined;

export const handler = wsHandler(async (event) => {
  const principal = principalFrom(event.requestContext.authorizer);
  connections ??= ConnectionRepository.fromEnv();
  await connections.put(connectionItem(event.requestContext.connectionId, principal, new Date()));
  return { statusCode: 200, body: '' };
});
