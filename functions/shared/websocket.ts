/**
 * What WebSocket route handlers share: the base middy stack (connection id and request id in every log line),
 * and the one @connections client (`@aws-sdk/client-apigatewaymanagementapi` against WEBSOCKET_CALLBACK_URL)
 * through which every function posts frames to and closes connections, replies and fan-out alike.
 */
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { APIGatewayProxyResult, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { baseHandler, logger } from './observability.ts';
import { env } from './resources.ts';

/**
 * API Gateway passes the `$connect` authorizer's context on every event of the connection, and the client's
 * address (`identity`, absent from the aws-lambda type) too.
 */
export type WebSocketEvent = APIGatewayProxyWebsocketEventV2 & {
  requestContext: APIGatewayProxyWebsocketEventV2['requestContext'] & {
    authorizer?: Record<string, unknown>;
    identity?: { sourceIp?: string; userAgent?: string };
  };
};

type WsUseCase = (event: WebSocketEvent) => Promise<APIGatewayProxyResult>;

export const wsHandler = (useCase: WsUseCase) =>
  baseHandler<WebSocketEvent, APIGatewayProxyResult>({
    correlationId: (event) => event.requestContext?.requestId,
    outcome: { success: 'WebSocketEvent', failure: 'WebSocketEventFailed' },
  })
    .use({
      before: ({ event }) => {
        logger.appendKeys({ connectionId: event.requestContext?.connectionId, routeKey: event.requestContext?.routeKey });
      },
      onError: (request) => {
        logger.error('WebSocket handler failed', request.error as Error);
        request.response = { statusCode: 500, body: 'Internal error' };
      },
    })
    .handler(useCase);

export type PostOutcome = 'ok' | 'gone' | 'failed';

/** Posts one frame to one connection. */
export interface FramePoster {
  post(connectionId: string, text: string): Promise<PostOutcome>;
}

const isGone = (error: unknown): boolean => error instanceof GoneException || (error as { name?: string }).name === 'GoneException';

export class ManagementApiPoster implements FramePoster {
  readonly #client: ApiGatewayManagementApiClient;
  constructor(client: ApiGatewayManagementApiClient) {
    this.#client = client;
  }

  /** The endpoint is WEBSOCKET_CALLBACK_URL (https://{api}.execute-api.{region}.amazonaws.com/{stage}). */
  static fromEnv(): ManagementApiPoster {
    const endpoint = process.env[env.websocketCallbackUrl];
    if (!endpoint) throw new Error(`${env.websocketCallbackUrl} is not set`);
    // One kept-alive socket per post a fan-out has in flight (FANOUT_CONCURRENCY, channel-fanout.ts): no
    // post waits for a socket, and no socket is opened per post.
    const sockets = Math.max(1, Number(process.env.FANOUT_CONCURRENCY ?? 50) || 50);
    return new ManagementApiPoster(
      new ApiGatewayManagementApiClient({
        endpoint,
        maxAttempts: 3,
        requestHandler: {
          httpAgent: new HttpAgent({ keepAlive: true, maxSockets: sockets }),
          httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: sockets }),
        },
      }),
    );
  }

  /** 'gone' when the connection no longer exists; other failures are retried by the client, then logged. */
  async post(connectionId: string, text: string): Promise<PostOutcome> {
    try {
      await this.#client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(text, 'utf8') }));
      return 'ok';
    } catch (error) {
      if (isGone(error)) return 'gone';
      logger.warn('PostToConnection failed after retries', { connectionId, error: error as Error });
      return 'failed';
    }
  }

  /** Closes the connection (DeleteConnection); one already gone is fine. */
  async close(connectionId: string): Promise<void> {
    try {
      await this.#client.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    } catch (error) {
      if (!isGone(error)) throw error;
    }
  }
}

let poster: ManagementApiPoster | undefined;

/** The process's @connections client, built on first use (functions that never post never need the variable). */
export const connectionsApi = (): ManagementApiPoster => (poster ??= ManagementApiPoster.fromEnv());

/** Posts a JSON frame to the connection the event came from. */
export const sendFrame = async (event: WebSocketEvent, frame: unknown): Promise<PostOutcome> =>
  connectionsApi().post(event.requestContext.connectionId, JSON.stringify(frame));
