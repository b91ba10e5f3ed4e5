/**
 * What WebSocket route handlers share: middy with the Powertools logger (connection id and request id in
 * every line), the principal from the `$connect` authorizer, and replies through the @connections API.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import middy from '@middy/core';
import type { APIGatewayProxyResult, APIGatewayProxyWebsocketEventV2, Context } from 'aws-lambda';
import { env } from '#lib/resources.ts';
import { logger } from './observability.ts';

/** API Gateway passes the `$connect` authorizer's context on every event of the connection. */
export type WebSocketEvent = APIGatewayProxyWebsocketEventV2 & {
  requestContext: APIGatewayProxyWebsocketEventV2['requestContext'] & { authorizer?: Record<string, unknown> };
};

type WsUseCase = (event: WebSocketEvent) => Promise<APIGatewayProxyResult>;

export const wsHandler = (useCase: WsUseCase) =>
  middy<WebSocketEvent, APIGatewayProxyResult, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({
      before: ({ event }) => {
        logger.setCorrelationId(event.requestContext?.requestId);
        logger.appendKeys({ connectionId: event.requestContext?.connectionId, routeKey: event.requestContext?.routeKey });
      },
      onError: (request) => {
        logger.error('WebSocket handler failed', request.error as Error);
        request.response = { statusCode: 500, body: 'Internal error' };
      },
    })
    .handler(useCase);

let management: ApiGatewayManagementApiClient | undefined;

/** The @connections client; the endpoint is WEBSOCKET_CALLBACK_URL, else derived from the event. */
const managementClient = (event: WebSocketEvent): ApiGatewayManagementApiClient => {
  management ??= new ApiGatewayManagementApiClient({
    endpoint: process.env[env.websocketCallbackUrl] || `https://${event.requestContext.domainName}/${event.requestContext.stage}`,
  });
  return management;
};

export const sendFrame = async (event: WebSocketEvent, frame: unknown): Promise<void> => {
  await managementClient(event).send(
    new PostToConnectionCommand({ ConnectionId: event.requestContext.connectionId, Data: Buffer.from(JSON.stringify(frame)) }),
  );
};
