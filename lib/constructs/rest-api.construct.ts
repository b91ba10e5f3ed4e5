import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { cors } from '../resources.ts';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.ts';
import type { PlatformManifest } from '../platform-manifest.ts';
import type { PlatformFunctions } from './functions.construct.ts';

export interface RestApiProps {
  manifest: PlatformManifest;
  functions: PlatformFunctions;
  prefix: string;
  stageName: string;
  logRetention: logs.RetentionDays;
  removalPolicy: RemovalPolicy;
  corsOrigins: string[];
  throttle: { rateLimit: number; burstLimit: number };
}

/** Gateway-generated errors, answered as RFC 9457 problem details like the handlers' own errors. */
const PROBLEM_RESPONSES: Array<{ type: apigateway.ResponseType; status?: number; title: string }> = [
  { type: apigateway.ResponseType.UNAUTHORIZED, status: 401, title: 'Unauthorized' },
  { type: apigateway.ResponseType.ACCESS_DENIED, status: 403, title: 'Forbidden' },
  // API Gateway answers an unknown path with "Missing Authentication Token"; to a client it is a 404.
  { type: apigateway.ResponseType.MISSING_AUTHENTICATION_TOKEN, status: 404, title: 'Not Found' },
  { type: apigateway.ResponseType.REQUEST_TOO_LARGE, status: 413, title: 'Payload Too Large' },
  { type: apigateway.ResponseType.THROTTLED, status: 429, title: 'Too Many Requests' },
  // The DEFAULT_* types cover several status codes; the original code is kept, so `status` is left out.
  { type: apigateway.ResponseType.DEFAULT_4XX, title: 'Client Error' },
  { type: apigateway.ResponseType.DEFAULT_5XX, title: 'Server Error' },
];

/**
 * REST API (v1) with one Lambda proxy route per manifest `http` entry. Every route except `auth: 'none'`
 * goes through the one REQUEST authorizer.
 */
export class PlatformRestApi extends Construct {
  readonly api: apigateway.RestApi;

  constructor(scope: Construct, id: string, props: RestApiProps) {
    super(scope, id);
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: props.logRetention, removalPolicy: props.removalPolicy });

    this.api = new apigateway.RestApi(this, 'Api', {
      restApiName: `${props.prefix}-rest`,
      description: 'Multimodal LLM Stack REST API (v1)',
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: props.removalPolicy,
      deployOptions: {
        stageName: props.stageName,
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields({
          caller: false,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: true,
        }),
        tracingEnabled: true,
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false, // request/response bodies may carry credentials and prompts
        metricsEnabled: true,
        throttlingRateLimit: props.throttle.rateLimit,
        throttlingBurstLimit: props.throttle.burstLimit,
      },
      defaultCorsPreflightOptions: {
        allowOrigins: props.corsOrigins,
        allowMethods: apigateway.Cors.ALL_METHODS,
        allowHeaders: [...cors.allowHeaders],
        maxAge: Duration.hours(1),
      },
      endpointTypes: [apigateway.EndpointType.REGIONAL],
    });

    // Request shapes are validated by each handler against the manifest's zod schemas, so that errors are
    // problem+json naming the bad field. The gateway validator checks what API Gateway itself knows
    // (declared parameters, models where a method has one) and is otherwise a no-op.
    const validator = this.api.addRequestValidator('Validator', { validateRequestParameters: true, validateRequestBody: true });

    const authorizerFn = props.functions.get(props.manifest.authorizer.name);
    const authorizer = new apigateway.RequestAuthorizer(this, 'Authorizer', {
      authorizerName: `${props.prefix}-authorizer`,
      handler: authorizerFn,
      // Callers send EITHER `Authorization` OR `x-api-key`. API Gateway only caches (and only even calls
      // the authorizer) when every identity source is present, so no identity source is declared and the
      // gateway cache is off (TTL 0). The authorizer caches verified credentials in memory instead (bounded
      // LRU, 60 s, keyed by the credential's sha256).
      identitySources: [],
      resultsCacheTtl: Duration.seconds(0),
    });
    (authorizer.node.defaultChild as apigateway.CfnAuthorizer).addPropertyDeletionOverride('IdentitySource');

    const corsOrigin = props.corsOrigins.length === 1 ? props.corsOrigins[0]! : '*';
    for (const response of PROBLEM_RESPONSES) {
      const status = response.status === undefined ? '' : `"status":${response.status},`;
      this.api.addGatewayResponse(`Problem${response.type.responseType}`, {
        type: response.type,
        ...(response.status === undefined ? {} : { statusCode: String(response.status) }),
        responseHeaders: {
          'Content-Type': "'application/problem+json'",
          'Access-Control-Allow-Origin': `'${corsOrigin}'`,
        },
        templates: {
          'application/json': `{"type":"about:blank","title":"${response.title}",${status}"detail":$context.error.messageString}`,
        },
      });
    }

    for (const spec of props.manifest.functions) {
      if (!spec.http?.length) continue;
      // No test-invoke permission: it doubles the Lambda permissions per route, and the stack must stay under
      // CloudFormation's 500 resources as domains are added.
      const integration = new apigateway.LambdaIntegration(props.functions.get(spec.name), { proxy: true, allowTestInvoke: false });
      for (const route of spec.http) {
        const resource = this.api.root.resourceForPath(route.path);
        const method = resource.addMethod(route.method, integration, {
          requestValidator: validator,
          ...(route.auth === 'none'
            ? { authorizationType: apigateway.AuthorizationType.NONE }
            : { authorizer, authorizationType: apigateway.AuthorizationType.CUSTOM }),
        });
        if (route.auth === 'none') {
          acknowledge(method, 'AwsSolutions-APIG4', `${route.method} ${route.path} is public by design (auth: 'none' in the route manifest).`);
        }
      }
    }

    // CORS preflight must answer without credentials (browsers never send them on OPTIONS).
    for (const child of this.api.root.node.findAll()) {
      if (child instanceof apigateway.Method && child.httpMethod === 'OPTIONS') {
        acknowledge(child, 'AwsSolutions-APIG4', 'CORS preflight (OPTIONS) carries no credentials by specification.');
      }
    }
    acknowledge(
      this.api,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'The account-level role API Gateway uses to write execution logs; AWS maintains this policy for exactly that purpose.',
    );
    acknowledge(this.api, 'AwsSolutions-COG4', 'Authentication is the platform Lambda REQUEST authorizer (HS256 JWT, OIDC JWKS or API key), not a Cognito user pool.');
    acknowledge(
      this.api,
      'AwsSolutions-APIG3',
      'No WAF web ACL by default (it has a fixed monthly cost); every route but health/openapi requires the authorizer and the stage is throttled. Operators can associate a web ACL with the stage.',
    );
  }
}
