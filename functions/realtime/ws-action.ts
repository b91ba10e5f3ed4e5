/**
 * The stack of the routed WebSocket actions: check that the connection's credentials still hold, parse and
 * validate the frame, run one use case, post its reply (or an error frame) to the caller's connection, then
 * record the audit entry of an action that changes stored state (every action whose manifest entry is not
 * `readOnly`, so a new action cannot skip it; docs/operations.md). The handler always answers 200 so the
 * connection stays usable: for one-way routes API Gateway sends the client nothing of the Lambda result anyway.
 */
import type * as z from 'zod';
import { recordAudit, wsAuditEntryOf } from '#shared/audit.ts';
import { isAuditedAction } from '#shared/manifest.types.ts';
import { logger } from '#shared/observability.ts';
import { credentialExpiryFrom, principalFrom, type Principal } from '#shared/principal.ts';
import { wsHandler, type WebSocketEvent } from '#shared/websocket.ts';
import { connectionsApi } from '#shared/websocket.ts';
import { errorFrameFrom, frameChannelOf, frameIdOf, parseFrame } from './frames.ts';
import { channelEvents, channels, connections, credentialStatus, fanout } from './realtime.composition.ts';
import { realtimeManifest } from './realtime.manifest.ts';
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

/** Whether frames of this route key are audited: decided by the function's manifest entry (unknown keys are). */
const audited = (routeKey: string): boolean =>
  isAuditedAction(realtimeManifest.functions.find((f) => f.websocket?.includes(routeKey)) ?? {}, routeKey);

/** After the reply, like the HTTP stack's: the entry says what was tried and how it ended, never the frame's data. */
const audit = async (event: WebSocketEvent, principal: Principal | undefined, status: number): Promise<void> => {
  const { routeKey } = event.requestContext;
  if (!audited(routeKey)) return;
  const entry = wsAuditEntryOf(routeKey, event.requestContext, principal, status, frameChannelOf(event.body));
  if (entry) await recordAudit(entry);
};

export const wsAction = <S extends z.ZodType>(
  schema: S,
  useCase: (ports: RealtimePorts, caller: Caller, frame: z.output<S>) => Promise<object | undefined>,
) =>
  wsHandler(async (event) => {
    const { connectionId } = event.requestContext;
    const id = frameIdOf(event.body);
    let reply: object | undefined;
    let caller: Caller | undefined;
    let status = 200;
    try {
      caller = callerOf(event);
      if (await endIfCredentialsLapsed(event, caller)) {
        // A revoked key or expired token still trying to change something is what an auditor looks for.
        await audit(event, caller.principal, 401);
        return { statusCode: 200, body: '' };
      }
      const frame = parseFrame(event.body, schema);
      reply = await useCase(await realtimePorts(), caller, frame);
      if (reply && id !== undefined) reply = { ...reply, id };
    } catch (error) {
      const frame = errorFrameFrom(error, id);
      if (frame.status >= 500) logger.error('WebSocket action failed', error as Error);
      else logger.info('Frame rejected', { status: frame.status, detail: frame.detail });
      reply = frame;
      status = frame.status;
    }
    if (reply) await connectionsApi().post(connectionId, JSON.stringify(reply));
    await audit(event, caller?.principal, status);
    return { statusCode: 200, body: '' };
  });
