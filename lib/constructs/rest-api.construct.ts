import { createHash } from 'node:crypto';
import { Duration, type NestedStack, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, type IConstruct } from 'constructs';
import type { FunctionSpec } from '#shared/manifest.types.ts';
import { cors, oauthProtectedResource } from '#shared/resources.ts';
import { acknowledge } from '../nag.ts';

export interface RestApiProps {
  prefix: string;
  stageName: string;
  logRetention: logs.RetentionDays;
  removalPolicy: RemovalPolicy;
  corsOrigins: string[];
  throttle: { rateLimit: number; burstLimit: number };
  authorizerFunction: lambda.IFunction;
  /** Every domain's REST functions: path segments that two domains share are created once, in the parent. */
  functionsByDomain: Map<string, FunctionSpec[]>;
  /**
   * An OIDC issuer is configured: 401 answers carry the `WWW-Authenticate` challenge naming the MCP endpoint's
   * OAuth protected-resource metadata (RFC 9728), as MCP's authorization spec wants.
   */
  oauthChallenge?: boolean;
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

/** `/v1/agents/{agentId}` -> `['/v1', '/v1/agents', '/v1/agents/{agentId}']`. */
const prefixesOf = (path: string): string[] => {
  const parts = path.split('/').filter(Boolean);
  return parts.map((_, i) => `/${parts.slice(0, i + 1).join('/')}`);
};

/**
 * The REST API (v1), in the parent stack, with its one REQUEST authorizer, problem+json gateway responses and
 * stage. Every domain's nested stack adds its own methods through `addRoutes` on an imported copy of the API:
 * API Gateway resources are per path segment, and a segment two stacks share (such as `/v1`) must exist once,
 * so those are created here and imported by the nested stacks; a domain's own segments live in its stack.
 *
 * The API is created with `deploy: false`; `deploy()` adds the deployment and stage once every stack's routes
 * exist, depending on all of them, and names the deployment after the routes so a changed route set deploys.
 */
export class PlatformRestApi extends Construct {
  readonly api: apigateway.RestApi;
  readonly authorizer: apigateway.RequestAuthorizer;
  readonly stage: apigateway.Stage;
  private readonly props: RestApiProps;
  private readonly validator: apigateway.RequestValidator;
  /** Path -> resource, for paths used by more than one stack (created in the parent). */
  private readonly sharedResources = new Map<string, apigateway.IResource>();
  private readonly routeSignature: string[] = [];
  private readonly deployment: apigateway.Deployment;

  constructor(scope: Construct, id: string, props: RestApiProps) {
    super(scope, id);
    this.props = props;
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: props.logRetention, removalPolicy: props.removalPolicy });

    this.api = new apigateway.RestApi(this, 'Api', {
      restApiName: `${props.prefix}-rest`,
      description: 'Multimodal LLM Stack REST API (v1)',
      deploy: false,
      cloudWatchRole: true,
      // The role is the account's (AWS::ApiGateway::Account, one per region), which every stage of every API
      // in the region logs through: deleting it with this stack, or with a failed first deploy of another
      // stage, would break the others' logging and the next stage's creation. So it outlives the stack.
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      defaultCorsPreflightOptions: this.corsPreflight,
      endpointTypes: [apigateway.EndpointType.REGIONAL],
    });

    // Request shapes are validated by each handler against the manifest's zod schemas, so that errors are
    // problem+json naming the bad field. The gateway validator checks what API Gateway itself knows
    // (declared parameters, models where a method has one) and is otherwise a no-op.
    this.validator = this.api.addRequestValidator('Validator', { validateRequestParameters: true, validateRequestBody: true });

    this.authorizer = new apigateway.RequestAuthorizer(this, 'Authorizer', {
      authorizerName: `${props.prefix}-authorizer`,
      handler: props.authorizerFunction,
      // Callers send EITHER `Authorization` OR `x-api-key`. API Gateway only caches (and only even calls
      // the authorizer) when every identity source is present, so no identity source is declared and the
      // gateway cache is off (TTL 0). The authorizer caches verified credentials in memory instead (bounded
      // LRU, 60 s, keyed by the credential's sha256).
      identitySources: [],
      resultsCacheTtl: Duration.seconds(0),
    });
    (this.authorizer.node.defaultChild as apigateway.CfnAuthorizer).addPropertyDeletionOverride('IdentitySource');

    const corsOrigin = props.corsOrigins.length === 1 ? props.corsOrigins[0]! : '*';
    for (const response of PROBLEM_RESPONSES) {
      const status = response.status === undefined ? '' : `"status":${response.status},`;
      this.api.addGatewayResponse(`Problem${response.type.responseType}`, {
        type: response.type,
        ...(response.status === undefined ? {} : { statusCode: String(response.status) }),
        responseHeaders: {
          'Content-Type': "'application/problem+json'",
          'Access-Control-Allow-Origin': `'${corsOrigin}'`,
          ...(props.oauthChallenge && response.type === apigateway.ResponseType.UNAUTHORIZED
            ? { 'WWW-Authenticate': `'${oauthProtectedResource.challenge(this.executeApiUrl())}'` }
            : {}),
        },
        templates: {
          'application/json': `{"type":"about:blank","title":"${response.title}",${status}"detail":$context.error.messageString}`,
        },
      });
    }

    // Path segments used by two or more domains (stacks) are created here, once.
    const users = new Map<string, Set<string>>();
    for (const [domain, specs] of props.functionsByDomain) {
      for (const route of specs.flatMap((s) => s.http ?? [])) {
        for (const prefix of prefixesOf(route.path)) users.set(prefix, (users.get(prefix) ?? new Set()).add(domain));
      }
    }
    for (const [path, stacks] of [...users].sort(([a], [b]) => a.length - b.length)) {
      if (stacks.size > 1) this.sharedResources.set(path, this.api.root.resourceForPath(path));
    }

    this.deployment = new apigateway.Deployment(this, 'Deployment', { api: this.api, description: 'Multimodal LLM Stack REST API' });
    this.stage = new apigateway.Stage(this, 'Stage', {
      deployment: this.deployment,
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
    });
    // The stage writes execution logs through the account's API Gateway CloudWatch role.
    const account = this.api.node.tryFindChild('Account');
    if (account) this.stage.node.addDependency(account);

    this.acknowledgeApi();
  }

  /** `https://<api id>.execute-api.<region>.<suffix>/<stage>`, resolved at deploy time (the stage does not exist yet here). */
  private executeApiUrl(): string {
    return `https://${this.api.restApiId}.execute-api.${Stack.of(this).region}.${Stack.of(this).urlSuffix}/${this.props.stageName}`;
  }

  private get corsPreflight(): apigateway.CorsOptions {
    return {
      allowOrigins: this.props.corsOrigins,
      allowMethods: apigateway.Cors.ALL_METHODS,
      allowHeaders: [...cors.allowHeaders],
      maxAge: Duration.hours(1),
    };
  }

  /**
   * Adds the methods of `specs` in `scope` (the parent stack's construct or a domain's nested stack). In a
   * nested stack the API, its authorizer and the shared path segments are imported by id.
   */
  addRoutes(scope: Construct, specs: FunctionSpec[], functionOf: (name: string) => lambda.IFunction): void {
    const inParent = Stack.of(scope) === Stack.of(this);
    const api: apigateway.IRestApi = inParent
      ? this.api
      : apigateway.RestApi.fromRestApiAttributes(scope, 'RestApi', { restApiId: this.api.restApiId, rootResourceId: this.api.restApiRootResourceId });
    const authorizer: apigateway.IAuthorizer = inParent
      ? this.authorizer
      : { authorizerId: this.authorizer.authorizerId, authorizationType: apigateway.AuthorizationType.CUSTOM };
    const local = new Map<string, apigateway.IResource>();
    // Shared segments, imported once per stack; not `local`: their preflight lives with them in the parent.
    const imported = new Map<string, apigateway.IResource>();
    const resourceFor = (path: string): apigateway.IResource => {
      if (path === '/') return api.root;
      const known = local.get(path) ?? imported.get(path);
      if (known) return known;
      const shared = this.importShared(scope, path, api, inParent);
      if (shared) {
        imported.set(path, shared);
        return shared;
      }
      const parentPath = path.slice(0, path.lastIndexOf('/')) || '/';
      // Nested stacks import the API without its CORS defaults, so each new segment gets them explicitly.
      const created = resourceFor(parentPath).addResource(path.slice(path.lastIndexOf('/') + 1), { defaultCorsPreflightOptions: this.corsPreflight });
      local.set(path, created);
      return created;
    };

    for (const spec of specs) {
      if (!spec.http?.length) continue;
      // No test-invoke permission: it doubles the Lambda permissions per route for a console button.
      const integration = new apigateway.LambdaIntegration(functionOf(spec.name), { proxy: true, allowTestInvoke: false });
      for (const route of spec.http) {
        const method = resourceFor(route.path).addMethod(route.method, integration, {
          requestValidator: this.validator,
          ...(route.auth === 'none'
            ? { authorizationType: apigateway.AuthorizationType.NONE }
            : { authorizer, authorizationType: apigateway.AuthorizationType.CUSTOM }),
        });
        if (!inParent) this.deployment.node.addDependency(Stack.of(scope));
        this.routeSignature.push(`${route.method} ${route.path} ${route.auth ?? 'required'} ${spec.name}`);
        if (route.auth === 'none') {
          acknowledge(method, 'AwsSolutions-APIG4', `${route.method} ${route.path} is public by design (auth: 'none' in the manifest).`);
        }
        acknowledge(
          method,
          'AwsSolutions-COG4',
          'Authentication is the platform Lambda REQUEST authorizer (HS256 JWT, OIDC JWKS or API key), not a Cognito user pool.',
        );
      }
    }
    for (const resource of local.values()) this.acknowledgePreflight(resource);
  }

  /** Call once every stack's routes are added: a new route set gets a new deployment. */
  seal(nestedStacks: NestedStack[]): void {
    this.api.deploymentStage = this.stage;
    for (const nested of nestedStacks) this.deployment.node.addDependency(nested);
    // Every method and resource of the parent, as CloudFormation resources: not their constructs, whose
    // subtrees hold the methods' Lambda permissions, which name the stage, which depends on the deployment.
    for (const child of this.api.node.findAll()) {
      if (child instanceof apigateway.CfnMethod || child instanceof apigateway.CfnResource) this.deployment.node.addDependency(child);
    }
    const digest = createHash('sha256')
      .update([...this.routeSignature].sort().join('\n'))
      .digest('hex');
    this.deployment.addToLogicalId({ routes: digest });
    this.acknowledgePreflight(this.api.root);
  }

  private importShared(scope: Construct, path: string, api: apigateway.IRestApi, inParent: boolean): apigateway.IResource | undefined {
    const shared = this.sharedResources.get(path);
    if (!shared || inParent) return shared;
    return apigateway.Resource.fromResourceAttributes(
      scope,
      `Resource${path.replace(/[^A-Za-z0-9]/g, '')}${createHash('sha1').update(path).digest('hex').slice(0, 6)}`,
      {
        restApi: api,
        resourceId: shared.resourceId,
        path,
      },
    );
  }

  /** CORS preflight must answer without credentials (browsers never send them on OPTIONS). */
  private acknowledgePreflight(resource: IConstruct): void {
    for (const child of resource.node.findAll()) {
      if (child instanceof apigateway.Method && child.httpMethod === 'OPTIONS') {
        acknowledge(child, 'AwsSolutions-APIG4', 'CORS preflight (OPTIONS) carries no credentials by specification.');
        acknowledge(child, 'AwsSolutions-COG4', 'CORS preflight (OPTIONS) carries no credentials by specification.');
      }
    }
  }

  private acknowledgeApi(): void {
    acknowledge(
      this.api,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'The account-level role API Gateway uses to write execution logs; AWS maintains this policy for exactly that purpose.',
    );
    acknowledge(
      this.stage,
      'AwsSolutions-APIG3',
      'No WAF web ACL by default (it has a fixed monthly cost); every route but health/openapi requires the authorizer and the stage is throttled. Operators can associate a web ACL with the stage.',
    );
  }
}
