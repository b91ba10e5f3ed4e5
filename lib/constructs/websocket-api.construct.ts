import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.ts';
import type { PlatformManifest } from '../platform-manifest.ts';
import type { PlatformFunctions } from './functions.construct.ts';

export interface WebSocketApiProps {
  prefix: string;
  stageName: string;
  logRetention: logs.RetentionDays;
  removalPolicy: RemovalPolicy;
  throttle: { rateLimit: number; burstLimit: number };
}

/**
 * The WebSocket API. Created in two steps because functions need its callback URL in their environment
 * while its routes need the functions: the API and stage first, `addRoutes` once the functions exist.
 */
export class PlatformWebSocketApi extends Construct {
  readonly api: apigwv2.WebSocketApi;
  readonly stage: apigwv2.WebSocketStage;
  readonly stageName: string;
  private readonly prefix: string;

  constructor(scope: Construct, id: string, props: WebSocketApiProps) {
    super(scope, id);
    this.stageName = props.stageName;
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
    const stack = Stack.of(this);
    return `https://${this.api.apiId}.execute-api.${stack.region}.${stack.urlSuffix}/${this.stageName}`;
  }

  get url(): string {
    return `${this.api.apiEndpoint}/${this.stageName}`;
  }

  addRoutes(manifest: PlatformManifest, functions: PlatformFunctions): void {
    const authorizer = new WebSocketLambdaAuthorizer('Authorizer', functions.get(manifest.authorizer.name), {
      authorizerName: `${this.prefix}-ws-authorizer`,
      // Browsers cannot set headers on a WebSocket handshake, so the credential travels as ?token=.
      identitySource: ['route.request.querystring.token'],
    });
    for (const spec of manifest.functions) {
      for (const routeKey of spec.websocket ?? []) {
        const integration = new WebSocketLambdaIntegration(`${spec.name}-${routeKey}`, functions.get(spec.name));
        const route = this.api.addRoute(routeKey, {
          integration,
          ...(routeKey === '$connect' ? { authorizer } : {}),
        });
        if (routeKey !== '$connect') {
          acknowledge(route, 'AwsSolutions-APIG4', 'API Gateway authorizes a WebSocket connection once, on $connect; later frames ride on that authorized connection.');
        }
      }
    }
  }
}
