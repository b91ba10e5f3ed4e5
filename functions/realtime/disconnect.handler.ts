/** `$disconnect`: forget the connection (the TTL covers disconnects API Gateway never reports). */
import { wsHandler } from '#shared/websocket.ts';
import { ConnectionRepository } from './connection.repository.ts';

let connections: ConnectionRepository | undefined;

export const handler = wsHandler(async (event) => {
  connections ??= ConnectionRepository.fromEnv();
  await connections.delete(event.requestContext.connectionId);
  return { statusCode: 200, body: '' };
});
