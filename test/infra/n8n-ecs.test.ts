/**
 * n8n on ECS Fargate (lib/n8n-stack.ts): the nested stack in regular mode (on the stack's own network and
 * database constructs) and in queue mode (Redis, workers, a DNS-validated certificate), each with cdk-nag;
 * that the platform stack builds it for the AWS target only; the context rules (`n8n=none`, no domain, bad
 * values); one pinned n8n version everywhere. Without synthesizing the whole platform app (a minute or more).
 */
import { readFileSync } from 'node:fs';
import { App, type CfnResource, CfnWaitConditionHandle, type NestedStack, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { manifest as platformManifest } from '../../functions/manifest.ts';
import { Database } from '../../lib/constructs/database.construct.ts';
import { Network } from '../../lib/constructs/network.construct.ts';
import { DB_INIT_SCRIPT, DEFAULT_N8N_VERSION, N8nStack, n8nSettingsFromContext } from '../../lib/n8n-stack.ts';
import { createPlatformApp } from '../../lib/platform-app.ts';
import { N8N_VERSION } from '../../local/n8n.ts';

const certificateArn = 'arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666';
type Container = {
  Name: string;
  Image: string;
  Essential?: boolean;
  Environment?: Array<{ Name: string; Value: unknown }>;
  Secrets?: Array<{ Name: string; ValueFrom: unknown }>;
  HealthCheck?: { Command: string[] };
  DependsOn?: Array<{ ContainerName: string; Condition: string }>;
  LogConfiguration?: { LogDriver: string };
  Command?: string[];
};

const containersOf = (template: Template, family: string): Container[] => {
  const tasks = Object.values(template.findResources('AWS::ECS::TaskDefinition', { Properties: { Family: family } }));
  expect(tasks).toHaveLength(1);
  return tasks[0]!.Properties.ContainerDefinitions as Container[];
};
const env = (c: Container) => Object.fromEntries((c.Environment ?? []).map((e) => [e.Name, e.Value]));
const secretNames = (c: Container) => (c.Secrets ?? []).map((s) => s.Name).sort();

describe('n8n on ECS, regular mode', () => {
  let parent: Template;
  let n8n: Template;
  let nagFindings: string[];
  beforeAll(() => {
    // The stack's own network and database constructs around it: synthesizing the whole platform app takes a
    // minute or more (test/infra/platform-stack.test.ts does it once); its wiring is checked below, cheaply.
    const app = new App({ context: { n8nDomainName: 'n8n.example.com', n8nCertificateArn: certificateArn } });
    const stack = new Stack(app, 'mls-n8necs', { env: { region: 'eu-west-1' } });
    const network = new Network(stack, 'Network', { natGateways: 1, logRetention: 30, removalPolicy: RemovalPolicy.DESTROY });
    const database = new Database(stack, 'Database', {
      vpc: network.vpc,
      prefix: 'mls-n8necs',
      deletionProtection: true,
      removalPolicy: RemovalPolicy.SNAPSHOT,
      logRetention: 30,
      minCapacity: 0.5,
      maxCapacity: 4,
    });
    const n8nStack = N8nStack.fromContext(stack, {
      prefix: 'mls-n8necs',
      vpc: network.vpc,
      database: { secret: database.secret, connections: database.cluster!.connections },
      logRetention: 30,
      dataRemovalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    })!;
    n8n = Template.fromStack(n8nStack);
    parent = Template.fromStack(stack);
    const report = new AwsSolutionsChecks().validateScope(n8nStack);
    nagFindings = report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));
  });

  it('runs one n8n task on Fargate with the task runners as a sidecar and n8n’s database created first', () => {
    n8n.hasResourceProperties('AWS::ECS::Service', {
      ServiceName: 'mls-n8necs-n8n',
      LaunchType: 'FARGATE',
      DesiredCount: 1,
      DeploymentConfiguration: Match.objectLike({
        MinimumHealthyPercent: 0,
        MaximumPercent: 100,
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
      }),
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED' }) },
      HealthCheckGracePeriodSeconds: 300,
    });
    n8n.resourceCountIs('AWS::ECS::Service', 1);
    n8n.hasResourceProperties('AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }] });
    const [n8nContainer, init, runners] = ['n8n', 'db-init', 'runners'].map(
      (name) => containersOf(n8n, 'mls-n8necs-n8n-main').find((c) => c.Name === name)!,
    );
    expect(n8nContainer!.Image).toBe('docker.io/n8nio/n8n:2.41.1');
    expect(runners!.Image).toBe('docker.io/n8nio/runners:2.41.1');
    expect(n8nContainer!.DependsOn).toEqual([{ ContainerName: 'db-init', Condition: 'SUCCESS' }]);
    expect(init!.Essential).toBe(false);
    // The script itself runs against a real PostgreSQL in n8n-db-init.test.ts.
    expect(init!.Command).toEqual([DB_INIT_SCRIPT]);
    expect(env(init!)).toMatchObject({ N8N_DB_USER: 'n8n', N8N_DB_NAME: 'n8n', PGDATABASE: 'postgres', PGSSLMODE: 'require' });
    expect(secretNames(init!)).toEqual(['N8N_DB_PASSWORD', 'PGHOST', 'PGPASSWORD', 'PGPORT', 'PGUSER']);
    expect(runners!.DependsOn).toEqual([{ ContainerName: 'n8n', Condition: 'START' }]);
    expect(env(runners!)).toMatchObject({ N8N_RUNNERS_TASK_BROKER_URI: 'http://127.0.0.1:5679' });
    expect(secretNames(runners!)).toEqual(['N8N_RUNNERS_AUTH_TOKEN']);
    for (const c of [n8nContainer!, init!, runners!]) expect(c.LogConfiguration?.LogDriver).toBe('awslogs');
    n8n.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/ecs/mls-n8necs-n8n', RetentionInDays: 30 });
  });

  it('configures n8n as the issue asks: proxy hops, webhook URL, pruning, binary data in the database, metrics, external runners', () => {
    const n8nContainer = containersOf(n8n, 'mls-n8necs-n8n-main').find((c) => c.Name === 'n8n')!;
    expect(env(n8nContainer)).toMatchObject({
      N8N_PROXY_HOPS: '1',
      WEBHOOK_URL: 'https://n8n.example.com/',
      N8N_PROTOCOL: 'https',
      DB_TYPE: 'postgresdb',
      DB_POSTGRESDB_DATABASE: 'n8n',
      DB_POSTGRESDB_USER: 'n8n',
      EXECUTIONS_MODE: 'regular',
      EXECUTIONS_DATA_PRUNE: 'true',
      N8N_DEFAULT_BINARY_DATA_MODE: 'database',
      N8N_METRICS: 'true',
      N8N_RUNNERS_MODE: 'external',
    });
    // Every secret from Secrets Manager, none in plain environment variables.
    expect(secretNames(n8nContainer)).toEqual(['DB_POSTGRESDB_HOST', 'DB_POSTGRESDB_PASSWORD', 'N8N_ENCRYPTION_KEY', 'N8N_RUNNERS_AUTH_TOKEN']);
    expect(JSON.stringify(n8nContainer.Environment)).not.toMatch(/PASSWORD|ENCRYPTION_KEY|TOKEN/);
    expect(n8nContainer.HealthCheck!.Command.join(' ')).toContain('/healthz');
    n8n.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'mls-n8necs/n8n/encryptionKey',
      GenerateSecretString: Match.objectLike({ PasswordLength: 48 }),
    });
    n8n.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'mls-n8necs/n8n/databaseCredentials',
      GenerateSecretString: Match.objectLike({ SecretStringTemplate: '{"username":"n8n"}', GenerateStringKey: 'password' }),
    });
    // The encryption key outlives a stack deletion by default (retainData): without it n8n's credentials are lost.
    const key = Object.values(n8n.findResources('AWS::SecretsManager::Secret', { Properties: { Name: 'mls-n8necs/n8n/encryptionKey' } }))[0]!;
    expect(key.DeletionPolicy).toBe('RetainExceptOnCreate');
  });

  it('puts n8n behind an HTTPS load balancer: readiness health check, HTTP redirected, /metrics not forwarded, access logs on', () => {
    n8n.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
        { Key: 'access_logs.s3.enabled', Value: 'true' },
      ]),
    });
    n8n.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: certificateArn }],
      SslPolicy: Match.stringLikeRegexp('TLS'),
    });
    n8n.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      DefaultActions: [Match.objectLike({ Type: 'redirect', RedirectConfig: Match.objectLike({ Protocol: 'HTTPS', Port: '443' }) })],
    });
    n8n.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 5678,
      TargetType: 'ip',
      HealthCheckPath: '/healthz/readiness',
      Matcher: { HttpCode: '200' },
    });
    n8n.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Priority: 1,
      Conditions: [Match.objectLike({ Field: 'path-pattern', PathPatternConfig: { Values: ['/metrics', '/metrics/*'] } })],
      Actions: [Match.objectLike({ Type: 'fixed-response', FixedResponseConfig: Match.objectLike({ StatusCode: '404' }) })],
    });
  });

  it('admits n8n to the database on 5432, publishes its URL and secrets, and stays cdk-nag clean and under the resource limit', () => {
    // On the cluster's own port (5432; a token in the template), from n8n's tasks only.
    parent.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      Description: 'n8n to its database',
      FromPort: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DatabaseCluster'), 'Endpoint.Port'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^N8nNestedStack'), Match.stringLikeRegexp('ServiceSecurityGroup')] },
    });
    parent.hasOutput('N8nUrl', { Value: 'https://n8n.example.com' });
    parent.hasOutput('N8nApiKeySecretArn', Match.anyValue());
    parent.hasOutput('N8nOwnerSecretArn', Match.anyValue());
    expect(nagFindings).toEqual([]);
    expect(Object.keys(n8n.toJSON().Resources).length).toBeLessThan(400);
  });
});

describe('n8n on ECS, queue mode', () => {
  let template: Template;
  let nagFindings: string[];
  beforeAll(() => {
    const app = new App({ context: { n8n: 'queue', n8nDomainName: 'n8n.example.com', n8nHostedZoneId: 'Z0123456789ABCDEFGHIJ', n8nWorkers: '3' } });
    const parent = new Stack(app, 'Parent');
    const vpc = new ec2.Vpc(parent, 'Vpc', {
      maxAzs: 2,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC },
        { name: 'lambda', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        { name: 'database', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      ],
    });
    const secret = secretsmanager.Secret.fromSecretCompleteArn(
      parent,
      'Db',
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:mls-q/database-AbCdEf',
    );
    const stack = N8nStack.fromContext(parent, {
      prefix: 'mls-q',
      vpc,
      database: { secret },
      logRetention: 30,
      dataRemovalPolicy: RemovalPolicy.RETAIN,
    })!;
    template = Template.fromStack(stack);
    const report = new AwsSolutionsChecks().validateScope(stack);
    nagFindings = report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));
  });

  it('adds an encrypted, authenticated, multi-AZ Redis and worker tasks, each with its runners sidecar', () => {
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      Engine: 'redis',
      Port: 6380,
      TransitEncryptionEnabled: true,
      AtRestEncryptionEnabled: true,
      MultiAZEnabled: true,
      AutomaticFailoverEnabled: true,
      AuthToken: Match.anyValue(),
    });
    template.hasResourceProperties('AWS::ECS::Service', { ServiceName: 'mls-q-n8n-worker', DesiredCount: 3 });
    const worker = containersOf(template, 'mls-q-n8n-worker');
    expect(worker.map((c) => c.Name).sort()).toEqual(['n8n', 'runners']);
    const n8nWorker = worker.find((c) => c.Name === 'n8n')!;
    expect(n8nWorker.Command).toEqual(['worker']);
    expect(env(n8nWorker)).toMatchObject({
      EXECUTIONS_MODE: 'queue',
      QUEUE_BULL_REDIS_PORT: '6380',
      QUEUE_BULL_REDIS_TLS: 'true',
      QUEUE_HEALTH_CHECK_ACTIVE: 'true',
    });
    expect(secretNames(n8nWorker)).toContain('QUEUE_BULL_REDIS_PASSWORD');
    const main = containersOf(template, 'mls-q-n8n-main').find((c) => c.Name === 'n8n')!;
    expect(env(main).EXECUTIONS_MODE).toBe('queue');
  });

  it('creates a DNS-validated certificate and an alias record in the hosted zone, and stays cdk-nag clean', () => {
    template.hasResourceProperties('AWS::CertificateManager::Certificate', { DomainName: 'n8n.example.com', ValidationMethod: 'DNS' });
    template.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'n8n.example.com.', Type: 'A', HostedZoneId: 'Z0123456789ABCDEFGHIJ' });
    expect(nagFindings).toEqual([]);
  });
});

describe('n8n context', () => {
  const settingsOf = (values: Record<string, string>) => {
    const app = new App();
    const stack = new Stack(app, 'S');
    new CfnWaitConditionHandle(stack, 'Placeholder'); // a stack must hold a resource to validate
    return { settings: n8nSettingsFromContext(stack, (k) => values[k]), stack };
  };

  it('runs none with n8n=none, and none (with a warning saying how) without a domain', () => {
    expect(settingsOf({ n8n: 'none', n8nDomainName: 'n8n.example.com', n8nCertificateArn: certificateArn }).settings).toBeUndefined();
    const { settings, stack } = settingsOf({});
    expect(settings).toBeUndefined();
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('n8nDomainName'));
  });

  it('refuses values that would fail half-way through a deploy', () => {
    expect(() => settingsOf({ n8n: 'cluster', n8nDomainName: 'n8n.example.com', n8nCertificateArn: certificateArn })).toThrow(
      /regular, queue or none/,
    );
    expect(() => settingsOf({ n8nDomainName: 'n8n.example.com' })).toThrow(/n8nCertificateArn or n8nHostedZoneId/);
    expect(() => settingsOf({ n8nDomainName: 'N8N..com', n8nCertificateArn: certificateArn })).toThrow(/DNS name/);
    expect(() => settingsOf({ n8nDomainName: 'n8n.example.com', n8nCertificateArn: 'arn:aws:iam::1:role/x' })).toThrow(/ACM certificate ARN/);
    expect(() => settingsOf({ n8nDomainName: 'n8n.example.com', n8nCertificateArn: certificateArn, n8nVersion: 'latest' })).toThrow(/n8nVersion/);
    expect(() => settingsOf({ n8n: 'queue', n8nDomainName: 'n8n.example.com', n8nCertificateArn: certificateArn, n8nWorkers: '0' })).toThrow(
      /n8nWorkers/,
    );
  });

  // One synthesis of the platform app (without bundling, about 15 s) for the two tests below.
  let platform: ReturnType<typeof createPlatformApp>['stack'] | undefined;
  const platformWithN8n = () => {
    const context = { n8nDomainName: 'n8n.example.com', n8nCertificateArn: certificateArn, 'aws:cdk:bundling-stacks': [] as unknown as string };
    platform ??= createPlatformApp({ manifest: platformManifest, nag: false, context: { ...context, stage: 'n8naws' } }).stack;
    return platform;
  };

  it('is built by the platform stack for the AWS target', () => {
    const aws = platformWithN8n();
    expect(aws.n8n?.url).toBe('https://n8n.example.com');
    expect(aws.n8n?.node.path).toBe('mls-n8naws/N8n');
  });

  it('sets its n8n up on every deploy: a trigger in the monitor’s stack runs setup-stack-n8n after the service and listener', () => {
    const aws = platformWithN8n();
    const monitorStack = aws.domainStacks.get('n8n-monitor')!;
    const monitor = Template.fromStack(monitorStack);
    const parentTemplate = Template.fromStack(aws);
    const setup = monitorStack.functions.get('setup-stack-n8n');
    const setupId = monitorStack.getLogicalId(setup.node.defaultChild as CfnResource);

    // The trigger invokes the setup function (a version of it, so a changed function runs again) and re-runs on
    // every deploy (a property that changes at each synthesis).
    const triggers = monitor.findResources('Custom::Trigger');
    expect(Object.keys(triggers)).toHaveLength(1);
    const trigger = Object.values(triggers)[0]!;
    const version = monitor.toJSON().Resources[trigger.Properties.HandlerArn.Ref];
    expect(version.Type).toBe('AWS::Lambda::Version');
    expect(version.Properties.FunctionName).toEqual({ Ref: setupId });
    expect(trigger.Properties.InvocationType).toBe('RequestResponse');
    expect(Date.parse(trigger.Properties.DeployedAt)).toBeGreaterThan(Date.now() - 600_000);
    expect(Number(trigger.Properties.Timeout)).toBe(600_000);

    // After the service and the listener: the monitor's stack waits for the n8n stack (the trigger's ordering
    // across nested stacks), and nothing in the n8n stack refers back (no cycle).
    const nestedId = (s: NestedStack) => aws.getLogicalId(s.nestedStackResource as CfnResource);
    const monitorResource = parentTemplate.toJSON().Resources[nestedId(monitorStack)];
    expect(monitorResource.DependsOn).toEqual(expect.arrayContaining([nestedId(aws.n8n!)]));
    expect(Object.keys(Template.fromStack(aws.n8n!).toJSON().Parameters ?? {}).filter((p) => /N8nMonitor/i.test(p))).toEqual([]);
    expect(parentTemplate.toJSON().Resources[nestedId(aws.n8n!)].DependsOn ?? []).not.toContain(nestedId(monitorStack));

    // Its n8n, the load balancer to reach it by, and the two secrets, read and (the key) written.
    const fn = monitor.toJSON().Resources[setupId];
    expect(Object.keys(fn.Properties.Environment.Variables)).toEqual(
      expect.arrayContaining(['N8N_STACK_URL', 'N8N_STACK_ENDPOINT', 'N8N_OWNER_SECRET_ARN', 'N8N_API_KEY_SECRET_ARN']),
    );
    expect(fn.Properties.Environment.Variables.N8N_STACK_URL).toBe('https://n8n.example.com');
    expect(fn.Properties.Timeout).toBe(600);
    const statements = Object.values(monitor.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(JSON.stringify(fn.Properties.Role['Fn::GetAtt'][0])))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>)
      .flatMap((st) => [st.Action].flat());
    expect(statements).toEqual(expect.arrayContaining(['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue']));

    // The trigger's CDK-owned provider gets a log group with retention like every function.
    for (const [id, lambdaFn] of Object.entries(monitor.findResources('AWS::Lambda::Function')))
      expect(`${id}: ${lambdaFn.Properties.LoggingConfig?.LogGroup !== undefined}`).toBe(`${id}: true`);

    // cdk-nag on the monitor's stack with the trigger and its provider.
    const report = new AwsSolutionsChecks().validateScope(monitorStack);
    const findings = report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));
    expect(findings).toEqual([]);
  });

  it('builds no n8n for the LocalStack target (docker-compose.localstack.yml runs one instead)', () => {
    const { stack } = createPlatformApp({
      manifest: platformManifest,
      nag: false,
      context: {
        stage: 'n8nls',
        target: 'localstack',
        n8nDomainName: 'n8n.example.com',
        n8nCertificateArn: certificateArn,
        'aws:cdk:bundling-stacks': [] as unknown as string,
      },
    });
    expect(stack.n8n).toBeUndefined();
  });
});

describe('one pinned n8n everywhere', () => {
  it('runs the same n8n on ECS, with --with-n8n and in docker-compose.localstack.yml as the contract fixture pins', () => {
    expect(DEFAULT_N8N_VERSION).toBe(N8N_VERSION);
    const compose = parse(readFileSync(new URL('../../docker-compose.localstack.yml', import.meta.url), 'utf8')) as {
      services: Record<string, { image: string; environment?: Record<string, string> }>;
    };
    expect(compose.services.n8n!.image).toBe(`n8nio/n8n:${N8N_VERSION}`);
    expect(compose.services['n8n-runners']!.image).toBe(`n8nio/runners:${N8N_VERSION}`);
    expect(compose.services.n8n!.environment).toMatchObject({ DB_TYPE: 'postgresdb', N8N_RUNNERS_MODE: 'external', N8N_METRICS: 'true' });
    expect(readFileSync(new URL('../fixtures/n8n/README.md', import.meta.url), 'utf8')).toContain(N8N_VERSION);
  });
});
