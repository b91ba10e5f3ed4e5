/**
 * The stack of the routed WebSocket actions: parse and validate the frame, run one use case, post its
 * reply (or an error frame) to the caller's connection. The handler always answers 200 so the connection
 * stays usable: for one-way routes API Gateway sends the client nothing of the Lambda result anyway.
 */
import type * as z from 'zod';
import { logger } from '#shared/observability.ts';
import { principalFrom } from '#shared/principal.ts';
import { wsHandler } from '#shared/websocket.ts';
import { errorFrameFrom, frameIdOf, parseFrame } from './frames.ts';
import { connections, executionTenants, channelEvents, fanout, poster, workspaces } from './realtime.adapters.ts';
import type { Caller, RealtimePorts } from './realtime.service.ts';

let ports: Promise<RealtimePorts> | undefined;

/** Built once per cold start. */
export const realtimePorts = (): Promise<RealtimePorts> => {
  ports ??= (async () => ({
    workspaces: await workspaces(),
    executions: await executionTenants(),
    subscriptions: connections(),
    events: await channelEvents(),
    fanout: fanout(),
    send: (connectionId: string, text: string) => poster().post(connectionId, text),
  }))();
  ports.catch(() => {
    ports = undefined;
  });
  return ports;
};

export const wsAction = <S extends z.ZodType>(schema: S, useCase: (ports: RealtimePorts, caller: Caller, frame: z.output<S>) => Promise<object | undefined>) =>
  wsHandler(async (event) => {
    const { connectionId } = event.requestContext;
    const id = frameIdOf(event.body);
    let reply: object | undefined;
    try {
      const frame = parseFrame(event.body, schema);
      const caller: Caller = {
        principal: principalFrom(event.requestContext.authorizer),
        connectionId,
        connectedAt: new Date(event.requestContext.connectedAt ?? Date.now()),
      };
      reply = await useCase(await realtimePorts(), caller, frame);
      if (reply && id !== undefined) reply = { ...reply, id };
    } catch (error) {
      const frame = errorFrameFrom(error, id);
      if (frame.status >= 500) logger.error('WebSocket action failed', error as Error);
      else logger.info('Frame rejected', { status: frame.status, detail: frame.detail });
      reply = frame;
    }
    if (reply) await poster().post(connectionId, JSON.stringify(reply));
    return { statusCode: 200, body: '' };
  });
