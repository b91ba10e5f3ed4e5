/**
 * The stack of the routed WebSocket actions: check that the connection's credentials still hold, parse and
 * validate the frame, run one use case, post its reply (or an error frame) to the caller's connection. The
 * handler always answers 200 so the connection stays usable: for one-way routes API Gateway sends the client
 * nothing of the Lambda result anyway.
 */
import type * as z from 'zod';
import { logger } from '#shared/observability.ts';
import { credentialExpiryFrom, principalFrom } from '#shared/principal.ts';
import { wsHandler, type WebSocketEvent } from '#shared/websocket.ts';
import { connectionsApi } from '#shared/websocket.ts';
import { errorFrameFrom, frameIdOf, parseFrame } from './frames.ts';
import { channelEvents, channels, connections, credentialStatus, fanout } from './realtime.composition.ts';
import { credentialsHold, endConnection, type Caller, type RealtimePorts } from './realtime.service.ts';

let ports: Promise<RealtimePorts> | undefined;

/** Built once per cold start. */
export const realtimePorts = (): Promise<RealtimePorts> => {
  ports ??= (async () => ({
    channels: channels(),
    subscriptions: connections(),
    events: await channelEvents(),
    fanout: fanout(),
    send: (connectionId: string, text: string) => connectionsApi().post(connectionId, text),
  }))();
  ports.catch(() => {
    ports = undefined;
  });
  return ports;
};

export const callerOf = (event: WebSocketEvent): Caller => ({
  principal: principalFrom(event.requestContext.authorizer),
  connectionId: event.requestContext.connectionId,
  connectedAt: new Date(event.requestContext.connectedAt ?? Date.now()),
  expiresAt: credentialExpiryFrom(event.requestContext.authorizer),
});

/**
 * The authorizer ran once, at `$connect`, and its context stays with the connection for up to 2 hours: a
 * key revoked or a JWT expired since must not keep acting. When the credentials no longer hold, the client
 * gets a 401 error frame, the connection is closed and its subscriptions removed; true means "ended".
 */
export const endIfCredentialsLapsed = async (event: WebSocketEvent, caller: Caller): Promise<boolean> => {
  if (await credentialsHold(credentialStatus(), caller)) return false;
  logger.info('Credentials lapsed; closing the connection', { userId: caller.principal.userId });
  const api = connectionsApi();
  const send = (connectionId: string, text: string) => api.post(connectionId, text);
  await endConnection(
    { subscriptions: connections(), fanout: fanout(), send, close: (id) => api.close(id) },
    caller.connectionId,
    frameIdOf(event.body),
  );
  return true;
};

export const wsAction = <S extends z.ZodType>(
  schema: S,
  useCase: (ports: RealtimePorts, caller: Caller, frame: z.output<S>) => Promise<object | undefined>,
) =>
  wsHandler(async (event) => {
    const { connectionId } = event.requestContext;
    const id = frameIdOf(event.body);
    let reply: object | undefined;
    try {
      const caller = callerOf(event);
      if (await endIfCredentialsLapsed(event, caller)) return { statusCode: 200, body: '' };
      const frame = parseFrame(event.body, schema);
      reply = await useCase(await realtimePorts(), caller, frame);
      if (reply && id !== undefined) reply = { ...reply, id };
    } catch (error) {
      const frame = errorFrameFrom(error, id);
      if (frame.status >= 500) logger.error('WebSocket action failed', error as Error);
      else logger.info('Frame rejected', { status: frame.status, detail: frame.detail });
      reply = frame;
    }
    if (reply) await connectionsApi().post(connectionId, JSON.stringify(reply));
    return { statusCode: 200, body: '' };
  });
