/** The AWS target, synthesized once: main resources, their security settings, least privilege, cdk-nag. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifest as platformManifest } from '#functions/manifest.ts';
import type { SettingName } from '#shared/manifest.types.ts';
import { settings, tables } from '#shared/resources.ts';
import { Database } from '../../lib/constructs/database.construct.ts';
import { DomainFunctions, type SharedResources } from '../../lib/constructs/functions.construct.ts';
import { hashDirectory } from '../../lib/constructs/migrations.construct.ts';
import { PROJECT_ROOT } from '../../lib/platform-app.ts';
import { missingGrants, sdkCallsIn } from './sdk-calls.ts';
import { actionsOfRole, aliasOf, lambdaByName, manifest, resolveFromParent, synthesize, type Synthesized } from './synth.ts';

const STAGE = 'test';
// Every operator setting given, so the test sees which functions each one reaches.
const SETTINGS: Record<SettingName, string> = {
  openaiBaseUrl: 'https://llm.internal.example/v1',
  anthropicBaseUrl: 'https://anthropic.internal.example',
  httpToolAllowedHosts: 'api.example.com',
  oidcIssuer: 'https://login.example.com',
  oidcAudience: 'mls',
  oidcJwksUrl: 'https://login.example.com/keys',
  rateLimitPerMinute: '600',
  corsAllowedOrigins: 'https://app.example.com',
  n8nPollMinutes: '10',
  n8nAllowPrivateNetworks: 'true',
  ideDefaultModel: 'anthropic:claude-sonnet-4-5',
  mcpServerAllowedHosts: '*.mcp.example.com',
  tokenBatchMs: '30',
  tokenBatchChars: '300',
  dbPoolMax: '5',
  fanoutConcurrency: '25',
  n8nRequestTimeoutMs: '15000',
};
let synth: Synthesized;

beforeAll(() => {
  synth = synthesize({ stage: STAGE, ...SETTINGS });
});
afterAll(() => synth?.cleanup());

const allSpecs = () => [manifest.authorizer, ...manifest.functions, ...manifest.systemFunctions];
const httpRoutes = () => manifest.functions.flatMap((f) => f.http ?? []);

describe('cdk-nag', () => {
  it('AwsSolutions reports no unacknowledged error or warning', () => {
    expect(synth.nagFindings).toEqual([]);
  });
});

describe('stacks', () => {
  it('keeps every stack under 400 resources (CloudFormation allows 500), and prints the counts', () => {
    const counts = [['parent', synth.parent] as const, ...synth.domains].map(
      ([name, t]) => [name, Object.keys(t.toJSON().Resources).length] as const,
    );
    console.log(`resources per stack: ${counts.map(([name, n]) => `${name} ${n}`).join(', ')}`);
    for (const [name, n] of counts) expect(`${name}: ${n}`).toBe(`${name}: ${Math.min(n, 399)}`);
  });

  it('gives every domain but the platform a nested stack holding exactly its functions and state machines', () => {
    const [platform, ...domains] = platformManifest.domains;
    expect([...synth.domains.keys()].sort()).toEqual(domains.map((d) => d.domain).sort());
    synth.parent.resourceCountIs('AWS::CloudFormation::Stack', domains.length);
    const names = (t: Template) => [...lambdaByName(t, STAGE).keys()].sort();
    expect(names(synth.parent)).toEqual(
      [platformManifest.authorizer, ...platform!.functions, ...platform!.systemFunctions].map((f) => f.name).sort(),
    );
    for (const domain of domains) {
      const template = synth.domains.get(domain.domain)!;
      expect(names(template)).toEqual([...domain.functions, ...domain.systemFunctions].map((f) => f.name).sort());
      template.resourceCountIs('AWS::StepFunctions::StateMachine', domain.stateMachines.length);
    }
  });

  it('creates each API path segment once, in the stack of the one domain that uses it or in the parent when shared', () => {
    const resources = Object.values(synth.template.findResources('AWS::ApiGateway::Resource'));
    const keys = resources.map((r) => JSON.stringify([r.Properties.ParentId, r.Properties.PathPart]));
    expect(new Set(keys).size).toBe(keys.length);
    // `/v1` is every domain's: it lives in the parent, and the nested stacks receive its id.
    const v1 = Object.entries(synth.parent.findResources('AWS::ApiGateway::Resource', { Properties: { PathPart: 'v1' } }));
    expect(v1).toHaveLength(1);
    for (const template of synth.domains.values()) {
      // A `v1` below a domain's own segment (`/.well-known/oauth-protected-resource/v1/mcp`) is that domain's.
      const own = template.findResources('AWS::ApiGateway::Resource');
      const topLevel = Object.entries(own).filter(([, r]) => r.Properties.PathPart === 'v1' && !(r.Properties.ParentId?.Ref in own));
      expect(topLevel.map(([id]) => id)).toEqual([]);
    }
  });

  it('deploys the REST stage after every domain stack, and redeploys when the route set changes', () => {
    const [deploymentId, deployment] = Object.entries(synth.parent.findResources('AWS::ApiGateway::Deployment'))[0]!;
    const nestedIds = Object.keys(synth.parent.findResources('AWS::CloudFormation::Stack'));
    expect(deployment.DependsOn).toEqual(expect.arrayContaining(nestedIds));
    expect(Object.values(synth.parent.findResources('AWS::ApiGateway::Stage'))[0]!.Properties.DeploymentId).toEqual({ Ref: deploymentId });
  });
});

describe('data stores', () => {
  it('creates each DynamoDB table on demand with PITR, KMS encryption and its TTL attribute', () => {
    for (const [name, shape] of Object.entries(tables)) {
      synth.template.hasResourceProperties('AWS::DynamoDB::Table', {
        TableName: `mls-${STAGE}-${name}`,
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: { AttributeName: shape.ttl, Enabled: true },
        ...(shape.indexes ? { GlobalSecondaryIndexes: shape.indexes.map((i) => Match.objectLike({ IndexName: i.name })) } : {}),
      });
    }
  });

  it('keeps the files bucket encrypted, private, versioned, logged, cleaning up old versions and abandoned multipart parts', () => {
    synth.template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: { DestinationBucketName: Match.anyValue() },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 30 }, Status: 'Enabled' }),
          Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }),
        ]),
      },
    });
    // Every bucket refuses plain HTTP.
    const policies = Object.values(synth.template.findResources('AWS::S3::BucketPolicy'));
    expect(policies).toHaveLength(2);
    for (const policy of policies) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });

  it('runs Aurora PostgreSQL Serverless v2, encrypted, with IAM auth and backups, behind an RDS Proxy with TLS', () => {
    synth.template.hasResourceProperties('AWS::RDS::DBCluster', {
      Engine: 'aurora-postgresql',
      StorageEncrypted: true,
      EnableIAMDatabaseAuthentication: true,
      // Switched on by a custom resource as the last step of the first deploy (see "a first deploy" below).
      DeletionProtection: Match.absent(),
      BackupRetentionPeriod: 7,
      ServerlessV2ScalingConfiguration: Match.objectLike({ MinCapacity: 0.5 }),
    });
    synth.template.hasResourceProperties('AWS::RDS::DBProxy', { EngineFamily: 'POSTGRESQL', RequireTLS: true });
    synth.template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL' });
  });

  it('rotates the cluster secret every 30 days with the hosted PostgreSQL single-user rotation, in the VPC, allowed into the cluster', () => {
    const [attachmentId] = Object.keys(
      synth.template.findResources('AWS::SecretsManager::SecretTargetAttachment', {
        Properties: { TargetType: 'AWS::RDS::DBCluster' },
      }),
    );
    expect(attachmentId).toBeDefined();
    synth.template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 1);
    synth.template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      SecretId: { Ref: attachmentId },
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
      RotateImmediatelyOnUpdate: false,
      HostedRotationLambda: Match.objectLike({
        RotationType: 'PostgreSQLSingleUser',
        VpcSubnetIds: Match.anyValue(),
        VpcSecurityGroupIds: Match.anyValue(),
      }),
    });
    const rotationGroup = synth.template.findResources('AWS::EC2::SecurityGroup', {
      Properties: { GroupDescription: Match.stringLikeRegexp('Rotation') },
    });
    const [rotationGroupId] = Object.keys(rotationGroup);
    expect(rotationGroupId).toBeDefined();
    synth.template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: Match.anyValue(),
      SourceSecurityGroupId: { 'Fn::GetAtt': [rotationGroupId, 'GroupId'] },
    });
  });
});

/** The Database construct on an operator's existing database (its secret named by ARN), for the tests of that wiring. */
const existingDatabase = (stack: Stack, vpc: ec2.IVpc): Database =>
  new Database(stack, 'Database', {
    vpc,
    prefix: 'mls-test',
    existingSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:their-db-AbCdEf',
    deletionProtection: true,
    removalPolicy: RemovalPolicy.RETAIN,
    logRetention: logs.RetentionDays.ONE_MONTH,
    minCapacity: 0.5,
    maxCapacity: 4,
  });

describe('an existing database (databaseSecretArn)', () => {
  it('gets no rotation schedule from us: the operator owns its secret and the network to it', () => {
    // The Database construct alone: the whole platform stack would bundle every function again for this.
    const stack = new Stack(new App(), 'existing-db', { env: { account: '123456789012', region: 'eu-west-1' } });
    existingDatabase(stack, new ec2.Vpc(stack, 'Vpc', { maxAzs: 2 }));
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::RDS::DBCluster', 0);
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
  });
});

describe('functions', () => {
  it('creates one arm64 nodejs24.x function per manifest entry, with source maps and Powertools settings', () => {
    const lambdas = lambdaByName(synth.template, STAGE);
    expect([...lambdas.keys()].sort()).toEqual(
      allSpecs()
        .map((s) => s.name)
        .sort(),
    );
    for (const spec of allSpecs()) {
      const { props } = lambdas.get(spec.name)!;
      expect(props.Runtime).toBe('nodejs24.x');
      expect(props.Architectures).toEqual(['arm64']);
      expect(props.Handler).toBe(`index.${spec.handler ?? 'handler'}`);
      expect(props.TracingConfig).toEqual({ Mode: 'Active' });
      expect(props.Environment.Variables).toMatchObject({
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: spec.domain,
        POWERTOOLS_METRICS_NAMESPACE: expect.any(String),
      });
    }
  });

  it('hands every REST function the CORS origins and every authenticated one the rate-limit table', () => {
    const lambdas = lambdaByName(synth.template, STAGE);
    for (const spec of manifest.functions.filter((f) => f.http?.length)) {
      const variables = lambdas.get(spec.name)!.props.Environment.Variables;
      expect(`${spec.name}: ${variables.CORS_ALLOWED_ORIGINS}`).toBe(`${spec.name}: ${SETTINGS.corsAllowedOrigins}`);
      const counted = spec.http!.some((r) => r.auth !== 'none');
      expect(`${spec.name}: ${'RATE_LIMITS_TABLE' in variables}`).toBe(`${spec.name}: ${counted}`);
    }
  });

  it("derives VPC placement, environment and IAM actions from each entry's access, and nothing more", () => {
    const lambdas = lambdaByName(synth.template, STAGE);
    for (const spec of allSpecs()) {
      const { props } = lambdas.get(spec.name)!;
      const variables = Object.keys(props.Environment.Variables);
      const actions = actionsOfRole(synth.template, props.Role);
      const label = `${spec.name}: `;

      expect(label + String('VpcConfig' in props)).toBe(label + String(Boolean(spec.access.database)));
      expect(label + String(variables.includes('DB_SECRET_ARN') && variables.includes('DB_HOST'))).toBe(
        label + String(Boolean(spec.access.database)),
      );

      const tableAccess = Object.keys(spec.access.tables ?? {});
      expect(label + String(actions.some((a) => a.startsWith('dynamodb:')))).toBe(label + String(tableAccess.length > 0));
      expect(label + String(actions.includes('dynamodb:PutItem'))).toBe(
        label + String(Object.values(spec.access.tables ?? {}).includes('readwrite')),
      );
      for (const [name, shape] of Object.entries(tables)) {
        expect(label + String(variables.includes(shape.env))).toBe(label + String(tableAccess.includes(name)));
      }
      expect(label + String(actions.some((a) => a.startsWith('s3:')))).toBe(label + String(Boolean(spec.access.bucket)));
      expect(label + String(actions.includes('execute-api:ManageConnections'))).toBe(label + String(Boolean(spec.access.websocketManagement)));
      expect(label + String(variables.includes('WEBSOCKET_CALLBACK_URL'))).toBe(label + String(Boolean(spec.access.websocketManagement)));
      expect(label + String(actions.includes('states:StartExecution'))).toBe(label + String(Boolean(spec.access.stateMachines?.length)));
      for (const [name, shape] of Object.entries(settings)) {
        expect(label + String(variables.includes(shape.env))).toBe(label + String((spec.access.settings ?? []).includes(name as SettingName)));
      }
      const readsSecrets = Boolean(spec.access.database) || Boolean(spec.access.secrets?.length);
      expect(label + String(actions.includes('secretsmanager:GetSecretValue'))).toBe(label + String(readsSecrets));
    }
  });

  it('runs the migrate function on deploy, after the database, and again whenever the SQL files change', () => {
    const { logicalId } = lambdaByName(synth.template, STAGE).get('migrate')!;
    const triggers = Object.values(synth.template.findResources('Custom::Trigger'));
    expect(triggers).toHaveLength(1);
    const trigger = triggers[0]!;
    expect(trigger.Properties.MigrationsHash).toBe(hashDirectory(path.join(PROJECT_ROOT, 'migrations')));
    expect(JSON.stringify(trigger.Properties.HandlerArn)).toContain(`${logicalId.replace(/[0-9A-F]{8}$/, '')}`);
    // Only after the database (cluster, instance, proxy) exists.
    const dependsOn: string[] = trigger.DependsOn ?? [];
    const dbResources = Object.keys({
      ...synth.template.findResources('AWS::RDS::DBCluster'),
      ...synth.template.findResources('AWS::RDS::DBInstance'),
      ...synth.template.findResources('AWS::RDS::DBProxy'),
    });
    expect(dependsOn).toEqual(expect.arrayContaining(dbResources));
  });
});

describe('REST API', () => {
  it('protects every route except auth "none" with the one REQUEST authorizer, uncached', () => {
    const authorizers = synth.template.findResources('AWS::ApiGateway::Authorizer');
    expect(Object.keys(authorizers)).toHaveLength(1);
    const [authorizerId, authorizer] = Object.entries(authorizers)[0]!;
    expect(authorizer.Properties).toMatchObject({ Type: 'REQUEST', AuthorizerResultTtlInSeconds: 0 });
    expect(authorizer.Properties.IdentitySource).toBeUndefined();

    const methodsOf = (t: Template) => Object.values(t.findResources('AWS::ApiGateway::Method')).filter((m) => m.Properties.HttpMethod !== 'OPTIONS');
    const methods = methodsOf(synth.template);
    expect(methods).toHaveLength(httpRoutes().length);
    const custom = methods.filter((m) => m.Properties.AuthorizationType === 'CUSTOM');
    expect(custom).toHaveLength(httpRoutes().filter((r) => r.auth !== 'none').length);
    for (const method of methodsOf(synth.parent).filter((m) => m.Properties.AuthorizationType === 'CUSTOM')) {
      expect(method.Properties.AuthorizerId).toEqual({ Ref: authorizerId });
    }
    for (const [domain, template] of synth.domains) {
      for (const method of methodsOf(template).filter((m) => m.Properties.AuthorizationType === 'CUSTOM')) {
        expect(resolveFromParent(synth, domain, method.Properties.AuthorizerId)).toEqual({ Ref: authorizerId });
      }
    }
    expect(methods.filter((m) => m.Properties.AuthorizationType === 'NONE')).toHaveLength(httpRoutes().filter((r) => r.auth === 'none').length);
    for (const method of methods) expect(method.Properties.Integration.Type).toBe('AWS_PROXY');
  });

  it('answers gateway errors as application/problem+json', () => {
    for (const [type, status] of [
      ['UNAUTHORIZED', '401'],
      ['ACCESS_DENIED', '403'],
      ['DEFAULT_4XX', undefined],
      ['DEFAULT_5XX', undefined],
    ] as const) {
      synth.template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        StatusCode: status ?? Match.absent(),
        ResponseParameters: Match.objectLike({ 'gatewayresponse.header.Content-Type': "'application/problem+json'" }),
        ResponseTemplates: { 'application/json': Match.stringLikeRegexp('"title":') },
      });
    }
  });

  it("challenges 401s with the MCP endpoint's protected-resource metadata when an OIDC issuer is set", () => {
    const [unauthorized] = Object.values(
      synth.template.findResources('AWS::ApiGateway::GatewayResponse', { Properties: { ResponseType: 'UNAUTHORIZED' } }),
    );
    const challenge = JSON.stringify(unauthorized!.Properties.ResponseParameters['gatewayresponse.header.WWW-Authenticate']);
    expect(challenge).toMatch(/^"?'?.*Bearer resource_metadata=\\"https:\/\/.*execute-api/);
    expect(challenge).toContain(`/${STAGE}/.well-known/oauth-protected-resource/v1/mcp`);
  });

  it('logs access as JSON, traces and throttles the stage', () => {
    const stage = Object.values(synth.template.findResources('AWS::ApiGateway::Stage'))[0]!;
    expect(stage.Properties.StageName).toBe(STAGE);
    expect(stage.Properties.TracingEnabled).toBe(true);
    expect(stage.Properties.AccessLogSetting.DestinationArn).toBeDefined();
    expect(JSON.parse(stage.Properties.AccessLogSetting.Format)).toHaveProperty('requestId');
    expect(stage.Properties.MethodSettings).toContainEqual(
      expect.objectContaining({ ThrottlingRateLimit: expect.any(Number), ThrottlingBurstLimit: expect.any(Number) }),
    );
  });
});

describe('WebSocket API', () => {
  it('routes every manifest key, authorizes $connect with the same function on ?token=, logs access', () => {
    const keys = manifest.functions.flatMap((f) => f.websocket ?? []);
    const routes = Object.values(synth.template.findResources('AWS::ApiGatewayV2::Route'));
    expect(routes.map((r) => r.Properties.RouteKey).sort()).toEqual([...keys].sort());
    const connect = routes.find((r) => r.Properties.RouteKey === '$connect')!;
    expect(connect.Properties.AuthorizationType).toBe('CUSTOM');

    const [wsAuthorizerId, wsAuthorizer] = Object.entries(synth.template.findResources('AWS::ApiGatewayV2::Authorizer'))[0]!;
    expect(resolveFromParent(synth, 'realtime', connect.Properties.AuthorizerId)).toEqual({ Ref: wsAuthorizerId });
    expect(wsAuthorizer.Properties).toMatchObject({ AuthorizerType: 'REQUEST', IdentitySource: ['route.request.querystring.token'] });
    const authorizerFn = lambdaByName(synth.template, STAGE).get(manifest.authorizer.name)!;
    // Through its live alias, like every caller (docs/operations.md, "Safe deploys").
    expect(JSON.stringify(wsAuthorizer.Properties.AuthorizerUri)).toContain(aliasOf(synth.template, authorizerFn.logicalId));

    const stage = Object.values(synth.template.findResources('AWS::ApiGatewayV2::Stage'))[0]!;
    expect(stage.Properties.AccessLogSettings.DestinationArn).toBeDefined();
    expect(JSON.parse(stage.Properties.AccessLogSettings.Format)).toHaveProperty('connectionId');
  });
});

describe('Step Functions', () => {
  it('deploys each state machine from its ASL file with task ARNs substituted, logging every event without execution data, tracing', () => {
    const lambdas = lambdaByName(synth.template, STAGE);
    for (const spec of manifest.stateMachines) {
      const [, machine] = Object.entries(synth.template.findResources('AWS::StepFunctions::StateMachine')).find(
        ([, m]) => m.Properties.StateMachineName === `mls-${STAGE}-${spec.name}`,
      )!;
      // Every event, but no execution data: inputs, outputs and task parameters carry prompts and task tokens.
      expect(machine.Properties.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
      expect(machine.Properties.TracingConfiguration).toEqual({ Enabled: true });
      const deployed = readFileSync(path.join(synth.outdir, `asset.${machine.Properties.DefinitionS3Location.Key}`), 'utf8');
      expect(JSON.parse(deployed)).toEqual(JSON.parse(readFileSync(path.join(PROJECT_ROOT, spec.definition), 'utf8')));
      for (const fnName of Object.values(spec.tasks)) {
        const pascal = fnName
          .split('-')
          .map((p) => p[0]!.toUpperCase() + p.slice(1))
          .join('');
        expect(machine.Properties.DefinitionSubstitutions[`${pascal}FunctionArn`]).toEqual({
          Ref: aliasOf(synth.template, lambdas.get(fnName)!.logicalId),
        });
      }
    }
  });
});

describe('outputs', () => {
  it('exports what clients and scripts look up', () => {
    const outputs = Object.keys(synth.template.toJSON().Outputs);
    expect(outputs).toEqual(expect.arrayContaining(['RestApiUrl', 'WebSocketUrl', 'MintAdminKeyFunctionName']));
  });
});

describe('the ideAnalyzers layer', () => {
  it('is one arm64 nodejs24.x layer in the parent stack, attached to exactly the functions that list it, with memory for the analyzers', () => {
    const found = synth.parent.findResources('AWS::Lambda::LayerVersion');
    expect(Object.values(found)).toEqual([
      expect.objectContaining({
        Properties: expect.objectContaining({
          LayerName: `mls-${STAGE}-ide-analyzers`,
          CompatibleRuntimes: ['nodejs24.x'],
          CompatibleArchitectures: ['arm64'],
        }),
      }),
    ]);
    const layerId = Object.keys(found)[0]!;
    for (const [domain, template] of synth.domains) {
      template.resourceCountIs('AWS::Lambda::LayerVersion', 0);
      const functions = lambdaByName(template, STAGE);
      for (const spec of manifest.functions.filter((f) => f.domain === domain)) {
        const layers = (functions.get(spec.name)!.props.Layers ?? []) as unknown[];
        const attached = layers.map((l) => JSON.stringify(resolveFromParent(synth, domain, l))).join(',');
        expect(`${spec.name}: ${attached}`).toBe(`${spec.name}: ${spec.layers?.includes('ideAnalyzers') ? JSON.stringify({ Ref: layerId }) : ''}`);
      }
    }
    const analyzers = manifest.functions.filter((f) => f.domain === 'ide-bridge' && f.layers);
    expect(analyzers.map((f) => f.name).sort()).toEqual(['ide-analyze', 'ide-complete', 'ide-fix', 'ide-generate', 'ide-refactor']);
    for (const spec of analyzers) expect(lambdaByName(synth.domains.get('ide-bridge')!, STAGE).get(spec.name)!.props.MemorySize).toBe(2048);
  });
});

// Issue 13: what a first `cdk deploy` into a fresh account would meet, and what updates and teardown keep.
describe('a first deploy, its updates and its teardown', () => {
  type Resource = { Type: string; Properties?: Record<string, any>; DependsOn?: string[]; DeletionPolicy?: string };
  const resources = (): Record<string, Resource> => synth.template.toJSON().Resources;
  const parentResources = (): Record<string, Resource> => synth.parent.toJSON().Resources;

  it("creates the WebSocket stage only after API Gateway's account-wide CloudWatch role, and keeps that role on delete", () => {
    const [accountId, account] = Object.entries(synth.parent.findResources('AWS::ApiGateway::Account'))[0]!;
    const roleId = account.Properties.CloudWatchRoleArn['Fn::GetAtt'][0];
    expect(resources()[roleId]).toMatchObject({ Type: 'AWS::IAM::Role', DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(account.DeletionPolicy).toBe('Retain');
    const stages = Object.values(synth.template.findResources('AWS::ApiGatewayV2::Stage'));
    expect(stages).toHaveLength(1);
    expect(stages[0]!.DependsOn).toContain(accountId);
  });

  it('trusts the RDS certificate authorities (NODE_EXTRA_CA_CERTS) in every function that talks to PostgreSQL, and only there', () => {
    const lambdas = lambdaByName(synth.template, STAGE);
    for (const spec of allSpecs()) {
      const variables = lambdas.get(spec.name)!.props.Environment.Variables;
      const expected = spec.access.database ? '/var/runtime/ca-cert.pem' : undefined;
      expect(`${spec.name}: ${variables.NODE_EXTRA_CA_CERTS}`).toBe(`${spec.name}: ${expected}`);
    }
  });

  it('retains data on delete and replacement but lets the rollback of a failed first deploy remove it (RetainExceptOnCreate)', () => {
    const byType = (type: string) => Object.entries(resources()).filter(([, r]) => r.Type === type);
    const data = [...byType('AWS::DynamoDB::Table'), ...byType('AWS::SecretsManager::Secret'), ...byType('AWS::S3::Bucket')];
    expect(data.length).toBeGreaterThanOrEqual(Object.keys(tables).length + 4);
    for (const [id, resource] of data) {
      expect(`${id}: ${resource.DeletionPolicy}`).toBe(`${id}: RetainExceptOnCreate`);
      expect(`${id}: ${(resource as { UpdateReplacePolicy?: string }).UpdateReplacePolicy}`).toBe(`${id}: Retain`);
    }
    // The cluster keeps a snapshot; its password (the cluster secret, counted above) outlives it the same way.
    const [, cluster] = byType('AWS::RDS::DBCluster')[0]!;
    expect(cluster.DeletionPolicy).toBe('Snapshot');
  });

  it('switches deletion protection on only as the last step, once everything else of the stack exists', () => {
    const [clusterId, cluster] = Object.entries(synth.parent.findResources('AWS::RDS::DBCluster'))[0]!;
    expect(cluster.Properties.DeletionProtection).toBeUndefined();
    const protections = Object.entries(synth.parent.findResources('Custom::AWS')).filter(([, r]) =>
      JSON.stringify(r.Properties.Create).includes('modifyDBCluster'),
    );
    expect(protections).toHaveLength(1);
    const [protectionId, protection] = protections[0]!;
    const call = JSON.stringify(protection.Properties.Create);
    expect(call).toContain('\\"DeletionProtection\\":true');
    expect(call).toContain(JSON.stringify({ Ref: clusterId }));
    expect(protection.Properties.Delete).toBeUndefined();
    // After every nested stack, the migrations and the functions: a failure anywhere before leaves nothing protected.
    const mustComeFirst = Object.entries(parentResources())
      .filter(([, r]) => ['AWS::CloudFormation::Stack', 'Custom::Trigger', 'AWS::Lambda::Function', 'AWS::ApiGateway::Stage'].includes(r.Type))
      .map(([id]) => id)
      .filter((id) => !id.startsWith('AWS679f53fac002430cb0da5b7982bd2287'));
    expect(mustComeFirst.filter((id) => !(protection.DependsOn ?? []).includes(id))).toEqual([]);
    expect(protectionId).toBeDefined();
  });

  it('updates the functions that use the schema, and every domain stack, only after the migrations ran', () => {
    const [triggerId] = Object.keys(synth.parent.findResources('Custom::Trigger'));
    const lambdas = lambdaByName(synth.parent, STAGE);
    const parentSpecs = allSpecs().filter((s) => lambdas.has(s.name));
    for (const spec of parentSpecs.filter((s) => s.access.database && s.name !== 'migrate')) {
      const resource = parentResources()[lambdas.get(spec.name)!.logicalId]!;
      expect(`${spec.name}: ${(resource.DependsOn ?? []).includes(triggerId!)}`).toBe(`${spec.name}: true`);
    }
    for (const [id, nested] of Object.entries(synth.parent.findResources('AWS::CloudFormation::Stack'))) {
      expect(`${id}: ${(nested.DependsOn ?? []).includes(triggerId!)}`).toBe(`${id}: true`);
    }
  });

  it('lets Lambda describe the subnets it places a VPC function in', () => {
    const lambdas = lambdaByName(synth.template, STAGE);
    for (const spec of allSpecs().filter((s) => s.access.database)) {
      const actions = actionsOfRole(synth.template, lambdas.get(spec.name)!.props.Role);
      expect(actions).toEqual(expect.arrayContaining(['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets']));
    }
  });

  it('gives every function a log group with retention, the ones aws-cdk-lib adds included', () => {
    const groups = synth.template.findResources('AWS::Logs::LogGroup');
    const functions = Object.entries(synth.template.findResources('AWS::Lambda::Function'));
    expect(functions.length).toBeGreaterThan(allSpecs().length);
    for (const [id, fn] of functions) {
      const ref = fn.Properties.LoggingConfig?.LogGroup?.Ref;
      expect(`${id}: ${ref !== undefined && ref in groups}`).toBe(`${id}: true`);
      expect(groups[ref]?.Properties.RetentionInDays).toBe(30);
    }
  });

  it('reaches every setting the code reads at deploy: each environment variable is set by the stack or a context setting', () => {
    const root = path.join(PROJECT_ROOT, 'functions');
    const read = new Set<string>();
    for (const file of readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'))) {
      for (const m of readFileSync(path.join(root, file), 'utf8').matchAll(/process\.env(?:\.([A-Z][A-Z0-9_]*)|\['([A-Z][A-Z0-9_]*)'\])/g))
        read.add(m[1] ?? m[2]!);
    }
    const lambdas = lambdaByName(synth.template, STAGE);
    const setByStack = new Set([...lambdas.values()].flatMap((l) => Object.keys(l.props.Environment.Variables)));
    const contextSettings = new Set(Object.values(settings).map((s) => s.env));
    // Lambda's own, the local runtime's and tools' (never deploy settings): the provider keys come from their secrets
    // (`*_ARN`), DATABASE_URL is the LocalStack target's, DB_SSL_VERIFY=false is a local escape hatch only.
    const notDeploySettings = new Set([
      'PATH',
      'AWS_EXECUTION_ENV',
      'AWS_LAMBDA_FUNCTION_NAME',
      'AWS_SAM_LOCAL',
      'POWERTOOLS_TRACE_ENABLED',
      'MIGRATIONS_DIR',
      'DATABASE_URL',
      'DB_SSL_VERIFY',
      'OPENAI_API_KEY',
      'ANTHROPIC_API_KEY',
    ]);
    const unreachable = [...read].filter((name) => !setByStack.has(name) && !contextSettings.has(name) && !notDeploySettings.has(name));
    expect(unreachable).toEqual([]);
    // The shared ones reach every function that reads them.
    for (const spec of allSpecs()) {
      const variables = lambdas.get(spec.name)!.props.Environment.Variables;
      if (spec.access.database) expect(`${spec.name}: ${variables.DB_POOL_MAX}`).toBe(`${spec.name}: ${SETTINGS.dbPoolMax}`);
      if (spec.access.websocketManagement)
        expect(`${spec.name}: ${variables.FANOUT_CONCURRENCY}`).toBe(`${spec.name}: ${SETTINGS.fanoutConcurrency}`);
    }
  });

  it('synthesizes without a region into an environment-agnostic template that says so, with no region baked in', () => {
    const json = JSON.stringify(synth.parent.toJSON());
    expect(synth.stack.environment).toBe('aws://unknown-account/unknown-region');
    expect(synth.parent.toJSON().Description).toContain('environment-agnostic');
    expect(json).not.toMatch(/"(us|eu|ap|sa|ca|me|af|il|mx)-[a-z]+-\d"/);
  });
});

describe('a bring-your-own database (databaseSecretArn)', () => {
  it('gives its functions the RDS certificate authorities, its secret, and no proxy host', () => {
    // One database function in a bare stack (not bundled): the same construct the platform stack uses.
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'byo-db', { env: { account: '123456789012', region: 'eu-west-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2 });
    const database = existingDatabase(stack, vpc);
    const health = allSpecs().find((s) => s.access.database && !s.access.tables && !s.access.bucket)!;
    const storage = { tables: {}, bucket: undefined, secrets: {} } as unknown as Pick<SharedResources, 'tables' | 'bucket' | 'secrets'>;
    new DomainFunctions(stack, 'Functions', {
      specs: [{ ...health, access: { database: true } }],
      shared: {
        prefix: 'mls-test',
        stage: 'test',
        projectRoot: PROJECT_ROOT,
        logRetention: logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
        logLevel: 'INFO',
        metricsNamespace: 'Test',
        database: { kind: 'vpc', vpc, database },
        ...storage,
        stateMachineName: (name) => `mls-test-${name}`,
        websocket: { callbackUrl: 'https://example.invalid/test', apiId: 'api', stageName: 'test' },
        settings: {},
        s3ForcePathStyle: false,
      },
    });
    const [fn] = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
    expect(fn!.Properties.Environment.Variables).toMatchObject({
      NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
      DB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:their-db-AbCdEf',
    });
    expect(fn!.Properties.Environment.Variables.DB_HOST).toBeUndefined();
  });
});

describe('grants and the SDK calls the code makes', () => {
  const { calls, unknown } = sdkCallsIn(path.join(PROJECT_ROOT, 'functions'));

  it('knows the IAM actions of every AWS call imported under functions/', () => {
    expect(unknown).toEqual([]);
    // The adapters this reads today: DynamoDB, S3 (presigned too), Step Functions, @connections, SNS, secrets.
    expect(calls.map((c) => c.call)).toEqual(
      expect.arrayContaining([
        'lib-dynamodb:QueryCommand',
        'client-s3:PutObjectCommand',
        'client-sfn:StartExecutionCommand',
        'parameters/secrets:getSecret',
      ]),
    );
  });

  it("allows every call an entry's access asks for, in that function's role", () => {
    const lambdas = lambdaByName(synth.template, STAGE);
    for (const spec of allSpecs()) {
      const granted = actionsOfRole(synth.template, lambdas.get(spec.name)!.props.Role);
      expect(`${spec.name}: ${missingGrants(spec.access, granted, calls).join('; ')}`).toBe(`${spec.name}: `);
    }
  });

  it('names the call and the action when a role lacks one (what a new adapter call without its grant meets)', () => {
    const lambdas = lambdaByName(synth.template, STAGE);
    const writer = allSpecs().find((s) => s.access.bucket === 'readwrite')!;
    const granted = actionsOfRole(synth.template, lambdas.get(writer.name)!.props.Role).filter((a) => a !== 's3:PutObject');
    expect(missingGrants(writer.access, granted, calls)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^client-s3:PutObjectCommand \(.*\) needs s3:PutObject$/)]),
    );
  });
});
