import { type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { FunctionSpec } from '#shared/manifest.types.ts';
import { acknowledge } from '../nag.ts';

/**
 * The @connections endpoint of API `apiId`'s stage, in `scope`'s stack (a nested stack passes the id in). On
 * LocalStack (`localstackHost`, e.g. `localhost.localstack.cloud:4566`) every API answers at
 * `http://<apiId>.execute-api.<host>/<stage>`; the AWS hostname would send the functions' posts to AWS.
 */
export const callbackUrlOf = (scope: Construct, apiId: string, stageName: string, localstackHost?: string): string => {
  if (localstackHost) return `http://${apiId}.execute-api.${localstackHost}/${stageName}`;
  const stack = Stack.of(scope);
  return `https://${apiId}.execute-api.${stack.region}.${stack.urlSuffix}/${stageName}`;
};

export interface WebSocketApiProps {
  prefix: string;
  stageName: string;
  logRetention: logs.RetentionDays;
  removalPolicy: RemovalPolicy;
  throttle: { rateLimit: number; burstLimit: number };
  /** LocalStack target: the host (and port) LocalStack serves APIs on, as the functions reach it. */
  localstackHost?: string;
}

/**
 * The WebSocket API, in the parent stack. Created in two steps because functions need its callback URL in
 * their environment while its routes need the functions: the API and stage first, then `authorizeWith` (the
 * platform's authorizer, on `$connect`), then `addRoutes` from each stack that owns route keys (a nested
 * stack imports the API and the authorizer by id). The stage deploys itself on every change (autoDeploy).
 */
export class PlatformWebSocketApi extends Construct {
  readonly api: apigwv2.WebSocketApi;
  readonly stage: apigwv2.WebSocketStage;
  readonly stageName: string;
  readonly localstackHost: string | undefined;
  private readonly prefix: string;
  private authorizer: apigwv2.WebSocketAuthorizer | undefined;

  constructor(scope: Construct, id: string, props: WebSocketApiProps) {
    super(scope, id);
    this.stageName = props.stageName;
    this.localstackHost = props.localstackHost;
    this.prefix = props.prefix;
    this.api = new apigwv2.WebSocketApi(this, 'Api', {
      apiName: `${props.prefix}-ws`,
      description: 'Multimodal LLM Stack WebSocket API',
      routeSelectionExpression: '$request.body.action',
    });
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: props.logRetention, removalPolicy: props.removalPolicy });
    this.stage = new apigwv2.WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: props.stageName,
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        format: apigateway.AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            connectionId: '$context.connectionId',
            eventType: '$context.eventType',
            routeKey: '$context.routeKey',
            status: '$context.status',
            requestTime: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            principalId: '$context.authorizer.principalId',
            error: '$context.error.message',
            integrationError: '$context.integration.error',
          }),
        ),
      },
    });
  }

  /** `https://{api}.execute-api.{region}.{suffix}/{stage}`, built from the API id alone (no Stage dependency). */
  get callbackUrl(): string {
    return callbackUrlOf(this, this.api.apiId, this.stageName, this.localstackHost);
  }

  get url(): string {
    return `${this.api.apiEndpoint}/${this.stageName}`;
  }

  /** The `$connect` authorizer: the platform's one Lambda authorizer, reading the credential from `?token=`. */
  authorizeWith(fn: lambda.IFunction): void {
    const stack = Stack.of(this);
    this.authorizer = new apigwv2.WebSocketAuthorizer(this, 'Authorizer', {
      webSocketApi: this.api,
      type: apigwv2.WebSocketAuthorizerType.LAMBDA,
      authorizerName: `${this.prefix}-ws-authorizer`,
      // Browsers cannot set headers on a WebSocket handshake, so the credential travels as ?token=.
      identitySource: ['route.request.querystring.token'],
      authorizerUri: `arn:${stack.partition}:apigateway:${stack.region}:lambda:path/2015-03-31/functions/${fn.functionArn}/invocations`,
    });
    fn.addPermission('WebSocketAuthorizerInvoke', {
      principal: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      sourceArn: stack.formatArn({ service: 'execute-api', resource: this.api.apiId, resourceName: `authorizers/${this.authorizer.authorizerId}` }),
    });
  }

  /** Routes the `websocket` keys of `specs`, in `scope` (the parent's construct or a domain's nested stack). */
  addRoutes(scope: Construct, specs: FunctionSpec[], functionOf: (name: string) => lambda.IFunction): void {
    const keys = specs.flatMap((spec) => (spec.websocket ?? []).map((routeKey) => ({ spec, routeKey })));
    if (keys.length === 0) return;
    if (!this.authorizer) throw new Error('authorizeWith() must run before addRoutes()');
    const inParent = Stack.of(scope) === Stack.of(this);
    const api = inParent ? this.api : apigwv2.WebSocketApi.fromWebSocketApiAttributes(scope, 'WebSocketApi', { webSocketId: this.api.apiId });
    const authorizer = apigwv2.WebSocketAuthorizer.fromWebSocketAuthorizerAttributes(scope, 'WebSocketAuthorizer', {
      authorizerId: this.authorizer.authorizerId,
      authorizerType: 'CUSTOM',
    });
    for (const { spec, routeKey } of keys) {
      const route = new apigwv2.WebSocketRoute(scope, `Route${routeKey.replace(/[^A-Za-z0-9]/g, '') || 'Key'}`, {
        webSocketApi: api,
        routeKey,
        integration: new WebSocketLambdaIntegration(`${spec.name}-${routeKey}`, functionOf(spec.name)),
        ...(routeKey === '$connect' ? { authorizer } : {}),
      });
      if (routeKey !== '$connect') {
        acknowledge(
          route,
          'AwsSolutions-APIG4',
          'API Gateway authorizes a WebSocket connection once, on $connect; later frames ride on that authorized connection.',
        );
      }
    }
  }
}
