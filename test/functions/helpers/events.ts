/** Realistic API Gateway REST proxy events and Lambda contexts for calling handlers directly. */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { Principal } from '#shared/principal.ts';

export interface RestInput {
  method?: string;
  path?: string;
  resource?: string;
  body?: unknown;
  /** Sent verbatim when a string (e.g. malformed JSON). */
  rawBody?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  params?: Record<string, string>;
  principal?: Principal;
}

export const restEvent = (input: RestInput = {}): APIGatewayProxyEvent => {
  const body = input.rawBody ?? (input.body === undefined ? null : JSON.stringify(input.body));
  const headers = { 'content-type': 'application/json', ...(input.headers ?? {}) };
  return {
    resource: input.resource ?? input.path ?? '/',
    path: input.path ?? '/',
    httpMethod: input.method ?? 'GET',
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: input.query ?? null,
    multiValueQueryStringParameters: input.query ? Object.fromEntries(Object.entries(input.query).map(([k, v]) => [k, [v]])) : null,
    pathParameters: input.params ?? null,
    stageVariables: null,
    isBase64Encoded: false,
    body,
    requestContext: {
      accountId: '000000000000',
      apiId: 'test',
      authorizer: input.principal
        ? {
            principalId: input.principal.userId,
            userId: input.principal.userId,
            tenantId: input.principal.tenantId,
            roles: input.principal.roles.join(','),
            integrationLatency: 0,
          }
        : null,
      protocol: 'HTTP/1.1',
      httpMethod: input.method ?? 'GET',
      identity: { sourceIp: '127.0.0.1', userAgent: 'vitest' } as APIGatewayProxyEvent['requestContext']['identity'],
      path: `/local${input.path ?? '/'}`,
      stage: 'local',
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'r',
      resourcePath: input.resource ?? input.path ?? '/',
    },
  };
};

export const lambdaContext = (): Context => ({
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:test',
  memoryLimitInMB: '1024',
  awsRequestId: randomUUID(),
  logGroupName: '/aws/lambda/test',
  logStreamName: 'test',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

type RestHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export interface Answer {
  status: number;
  headers: Record<string, unknown>;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests inspect arbitrary JSON
  raw: string;
}

export const call = async (handler: RestHandler, input: RestInput = {}): Promise<Answer> => {
  const res = await handler(restEvent(input), lambdaContext());
  return { status: res.statusCode, headers: res.headers ?? {}, raw: res.body, body: res.body ? JSON.parse(res.body) : undefined };
};

export const admin = (tenantId = 'default', userId = 'user-admin'): Principal => ({ userId, tenantId, roles: ['admin'] });
export const viewer = (tenantId = 'default', userId = 'user-viewer'): Principal => ({ userId, tenantId, roles: ['viewer'] });
