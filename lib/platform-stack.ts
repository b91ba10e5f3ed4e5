import path from 'node:path';
import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { pascalName, type PlatformManifest, type SettingName, type StateMachineName } from '#shared/manifest.types.ts';
import { metricsNamespace } from '#shared/resources.ts';
import { Database } from './constructs/database.construct.ts';
import { StageEvents } from './constructs/event-bus.construct.ts';
import { DomainFunctions, type DatabaseWiring, type SharedResources } from './constructs/functions.construct.ts';
import { acknowledgeTriggerProvider, Migrations } from './constructs/migrations.construct.ts';
import { Network } from './constructs/network.construct.ts';
import { StageOperations } from './constructs/operations.construct.ts';
import { PlatformRestApi } from './constructs/rest-api.construct.ts';
import { Secrets } from './constructs/secrets.construct.ts';
import { DomainStateMachines } from './constructs/state-machines.construct.ts';
import { Storage } from './constructs/storage.construct.ts';
import { Topics } from './constructs/topics.construct.ts';
import { PlatformWebSocketApi } from './constructs/websocket-api.construct.ts';
import { DomainStack } from './domain-stack.ts';
import { N8nStack } from './n8n-stack.ts';
import { giveEveryFunctionALogGroup } from './function-logs.ts';
import { acknowledge } from './nag.ts';
import { operationsSettings } from './operations-context.ts';

export type DeployTarget = 'aws' | 'localstack';

export interface PlatformStackProps extends StackProps {
  stage: string;
  target: DeployTarget;
  manifest: PlatformManifest;
  /** Repository root (manifest entries, ASL files and migrations/ are relative to it). */
  projectRoot: string;
  /** AWS target: use this existing database secret instead of creating Aurora + RDS Proxy. */
  databaseSecretArn?: string;
  /** LocalStack target: the PostgreSQL URL functions get (LocalStack community runs no RDS). */
  databaseUrl?: string;
  /** LocalStack target: where LocalStack serves APIs, as the Lambda containers reach it (default DEFAULT_LOCALSTACK_HOST). */
  localstackHost?: string;
  /** Operator settings (functions/shared/resources.ts `settings`), from context keys of the same names. */
  settings?: Partial<Record<SettingName, string>>;
  /** Keep data (tables, bucket, database, secrets) when the stack is deleted. Default true. */
  retainData?: boolean;
  deletionProtection?: boolean;
  natGateways?: number;
  logRetentionDays?: logs.RetentionDays;
  logLevel?: string;
  databaseMinCapacity?: number;
  databaseMaxCapacity?: number;
}

/** The function whose bundle carries the SQL migrations and which the deploy trigger runs. */
const MIGRATE_FUNCTION = 'migrate';
const MINT_ADMIN_KEY_FUNCTION = 'mint-admin-key';

export const DEFAULT_LOCALSTACK_DATABASE_URL = 'postgres://mls:mls@postgres:5432/mls';
/** LocalStack's own name for itself, which resolves to it from its Lambda containers too. */
export const DEFAULT_LOCALSTACK_HOST = 'localhost.localstack.cloud:4566';

/**
 * The parent stack: what every domain shares (network and PostgreSQL on the AWS target, DynamoDB tables, the
 * bucket, secrets, the REST and WebSocket APIs with their one authorizer), the platform's own functions
 * (authorizer, health, OpenAPI, keys, tenants, migrations), and one nested stack per other domain of the
 * manifest (lib/domain-stack.ts), each holding that domain's functions, routes, state machines and grants.
 */
export class PlatformStack extends Stack {
  readonly domainStacks = new Map<string, DomainStack>();
  /** n8n on ECS Fargate (AWS target, when context configures it: lib/n8n-stack.ts). */
  readonly n8n: N8nStack | undefined;

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    super(scope, id, props);
    const prefix = `mls-${props.stage}`;
    const retain = props.retainData ?? true;
    // RetainExceptOnCreate: kept when the stack is deleted or the resource replaced, but deleted by the rollback
    // of the deploy that created it, so a failed first deploy leaves no fixed-name table or secret behind to
    // fail the retry with "already exists". The database keeps a snapshot instead (docs/deploy.md).
    const dataRemovalPolicy = retain ? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE : RemovalPolicy.DESTROY;
    const logRemovalPolicy = RemovalPolicy.DESTROY;
    const logRetention = props.logRetentionDays ?? (30 as logs.RetentionDays);
    // Deployment mode, WAF, stage throttling, alarm thresholds and subscriptions (lib/operations-context.ts).
    const operationsContext = operationsSettings(
      this,
      Object.fromEntries(
        props.manifest.domains.flatMap((d) => d.metrics ?? []).flatMap((m) => (m.alarm ? [[m.alarm.context, m.alarm.default]] : [])),
      ),
    );
    const throttle = operationsContext.throttle;
    const stateMachineName = (name: StateMachineName): string => `${prefix}-${name}`;
    const [platform, ...domains] = props.manifest.domains;
    if (platform?.domain !== 'platform') throw new Error('The manifest must list the platform domain first');

    const storage = new Storage(this, 'Storage', { prefix, removalPolicy: dataRemovalPolicy });
    const secrets = new Secrets(this, 'Secrets', { prefix, removalPolicy: dataRemovalPolicy });
    const topics = new Topics(this, 'Topics', { prefix, removalPolicy: logRemovalPolicy });
    const stageEvents = new StageEvents(this, 'Events', { prefix, removalPolicy: logRemovalPolicy });
    const namespace = metricsNamespace(props.stage);
    // The alarm topic and the REST 5xx alarm first: the functions' deployment groups roll back on it.
    const operations = new StageOperations(this, 'Operations', {
      prefix,
      stage: props.stage,
      namespace,
      settings: operationsContext,
      removalPolicy: logRemovalPolicy,
      restApiName: `${prefix}-rest`,
    });

    let databaseWiring: DatabaseWiring;
    let database: Database | undefined;
    if (props.target === 'localstack') {
      databaseWiring = { kind: 'url', url: props.databaseUrl ?? DEFAULT_LOCALSTACK_DATABASE_URL };
    } else {
      const network = new Network(this, 'Network', { natGateways: props.natGateways ?? 1, logRetention, removalPolicy: logRemovalPolicy });
      database = new Database(this, 'Database', {
        vpc: network.vpc,
        prefix,
        ...(props.databaseSecretArn ? { existingSecretArn: props.databaseSecretArn } : {}),
        deletionProtection: props.deletionProtection ?? true,
        removalPolicy: retain ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
        logRetention,
        minCapacity: props.databaseMinCapacity ?? 0.5,
        maxCapacity: props.databaseMaxCapacity ?? 4,
      });
      databaseWiring = { kind: 'vpc', vpc: network.vpc, database };
    }

    const websocket = new PlatformWebSocketApi(this, 'WebSocket', {
      prefix,
      stageName: props.stage,
      logRetention,
      removalPolicy: logRemovalPolicy,
      throttle,
      ...(props.target === 'localstack' ? { localstackHost: props.localstackHost ?? DEFAULT_LOCALSTACK_HOST } : {}),
    });

    const corsOrigins = (props.settings?.corsAllowedOrigins ?? '*')
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean);
    const shared: SharedResources = {
      prefix,
      stage: props.stage,
      projectRoot: props.projectRoot,
      logRetention,
      removalPolicy: logRemovalPolicy,
      logLevel: props.logLevel ?? 'INFO',
      metricsNamespace: namespace,
      database: databaseWiring,
      tables: storage.tables,
      bucket: storage.bucket,
      secrets: secrets.secrets,
      topics: topics.topics,
      stateMachineName,
      websocket: {
        callbackUrl: websocket.callbackUrl,
        apiId: websocket.api.apiId,
        stageName: websocket.stageName,
        ...(websocket.localstackHost ? { localstackHost: websocket.localstackHost } : {}),
      },
      settings: props.settings ?? {},
      s3ForcePathStyle: props.target === 'localstack',
      extraAssets: { [MIGRATE_FUNCTION]: ['migrations'] },
      eventBus: stageEvents.bus,
      deadLetterQueue: stageEvents.deadLetterQueue,
      safeDeploys: {
        deployment: operationsContext.deployment,
        errorsThreshold: operationsContext.thresholds.alarmFunctionErrors!,
        rollbackAlarms: [operations.api5xx],
      },
    };

    const platformSpecs = [props.manifest.authorizer, ...platform.functions, ...platform.systemFunctions];
    const functions = new DomainFunctions(this, 'Functions', {
      specs: platformSpecs,
      shared,
      group: 'platform',
    });
    // Callers invoke the live aliases (lib/constructs/live-aliases.construct.ts).
    const functionOf = (name: string) => functions.invokable(name);
    websocket.authorizeWith(functions.invokable(props.manifest.authorizer.name));

    const rest = new PlatformRestApi(this, 'Rest', {
      prefix,
      stageName: props.stage,
      logRetention,
      removalPolicy: logRemovalPolicy,
      corsOrigins,
      throttle,
      authorizerFunction: functions.invokable(props.manifest.authorizer.name),
      functionsByDomain: new Map(props.manifest.domains.map((d) => [d.domain, d.functions])),
      oauthChallenge: Boolean(props.settings?.oidcIssuer),
    });
    // The WebSocket stage logs through the account's API Gateway CloudWatch role, which the REST API sets up:
    // in a region where no stage ever logged, a stage created before that role is refused.
    const apiGatewayAccount = rest.api.node.tryFindChild('Account');
    if (apiGatewayAccount) websocket.stage.node.addDependency(apiGatewayAccount);
    rest.addRoutes(this, platform.functions, functionOf);
    websocket.addRoutes(this, platform.functions, functionOf);
    const platformMachines = new DomainStateMachines(this, 'StateMachines', {
      specs: platform.stateMachines,
      functions,
      projectRoot: props.projectRoot,
      stateMachineName,
      logRetention,
      removalPolicy: logRemovalPolicy,
    });

    for (const domain of domains) {
      const stack = new DomainStack(this, DomainStack.idOf(domain), { domain, shared, rest, websocket });
      this.domainStacks.set(domain.domain, stack);
    }
    rest.seal([...this.domainStacks.values()]);
    this.n8n =
      databaseWiring.kind === 'vpc'
        ? N8nStack.fromContext(this, {
            prefix,
            vpc: databaseWiring.vpc,
            database: { secret: databaseWiring.database.secret, connections: databaseWiring.database.cluster?.connections },
            logRetention,
            dataRemovalPolicy,
          })
        : undefined;
    // The stack's n8n is set up and registered for the monitor on every deploy (lib/n8n-stack.ts, setupOnDeploy).
    const n8nMonitorStack = this.domainStacks.get('n8n-monitor');
    const setupStackN8n = n8nMonitorStack?.functions.byName.get('setup-stack-n8n');
    if (this.n8n && n8nMonitorStack && setupStackN8n) this.n8n.setupOnDeploy(n8nMonitorStack, setupStackN8n);

    operations.complete({
      manifest: props.manifest,
      restApiName: `${prefix}-rest`,
      restStageArn: rest.stage.stageArn,
      webSocketApiId: websocket.api.apiId,
      tables: storage.tables,
      deadLetterQueue: stageEvents.deadLetterQueue,
      ...(database?.cluster
        ? { aurora: { clusterIdentifier: database.cluster.clusterIdentifier, maxCapacity: props.databaseMaxCapacity ?? 4 } }
        : {}),
      functionAlarms: [functions, ...[...this.domainStacks.values()].map((s) => s.functions)].flatMap((f) =>
        f.live?.composite ? [f.live.composite] : [],
      ),
    });

    const migrate = functions.byName.get(MIGRATE_FUNCTION);
    if (migrate) {
      const migrations = new Migrations(this, 'Migrations', {
        handler: migrate,
        migrationsDir: path.join(props.projectRoot, 'migrations'),
        executeAfter: database?.readyWhen ?? [],
        timeout: migrate.timeout!,
      });
      // New code that needs a new schema must not go live before it: every function that talks to PostgreSQL
      // (and every domain's stack) is created or updated after the migrations ran. Migrations stay
      // expand-then-contract all the same, since the old code runs until then (docs/deploy.md, "Updates").
      const schemaUsers = platformSpecs.filter((s) => s.access.database && s.name !== MIGRATE_FUNCTION).map((s) => functions.get(s.name));
      migrations.runBefore([...schemaUsers, ...this.domainStacks.values()]);
      acknowledgeTriggerProvider(this);
    }
    // The last step of a first deploy: everything above exists (a failure before leaves nothing to retain).
    database?.protectAfter(
      this.node.children.filter((c) => c !== database),
      logRetention,
    );
    // Last, once every function exists (CDK-owned providers included).
    giveEveryFunctionALogGroup(this, logRetention, logRemovalPolicy);
    this.acknowledgeCdkOwnedResources();

    new CfnOutput(this, 'RestApiUrl', { value: rest.stage.urlForPath('/'), description: 'REST API base URL (routes start with /v1)' });
    new CfnOutput(this, 'WebSocketUrl', { value: websocket.url, description: 'WebSocket URL (connect with ?token=<JWT or API key>)' });
    new CfnOutput(this, 'WebSocketCallbackUrl', { value: websocket.callbackUrl, description: '@connections management endpoint' });
    new CfnOutput(this, 'BucketName', { value: storage.bucket.bucketName });
    new CfnOutput(this, 'EventBusName', {
      value: stageEvents.bus.eventBusName,
      description: 'Audit entries and domain events (add rules to route them)',
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: operations.topic.topicArn, description: 'The paging composite alarm notifies this topic' });
    if (operations.dashboard) new CfnOutput(this, 'DashboardName', { value: operations.dashboard.dashboardName });
    new CfnOutput(this, 'N8nAlertsTopicArn', {
      value: topics.topics.n8nAlerts.topicArn,
      description: 'n8n monitor alerts (subscribe email, chat, queues)',
    });
    const mint = functions.byName.get(MINT_ADMIN_KEY_FUNCTION);
    if (mint) new CfnOutput(this, 'MintAdminKeyFunctionName', { value: mint.functionName, description: 'Invoked by `npm run mint-admin-key`' });
    if (migrate) new CfnOutput(this, 'MigrateFunctionName', { value: migrate.functionName });
    const machines = [...platformMachines.byName, ...[...this.domainStacks.values()].flatMap((s) => [...s.stateMachines.byName])];
    for (const [name, machine] of machines) {
      new CfnOutput(this, `${pascalName(name)}StateMachineArn`, { value: machine.stateMachineArn });
    }
    if (database) new CfnOutput(this, 'DatabaseSecretArn', { value: database.secret.secretArn });
    new CfnOutput(this, 'JwtSigningKeySecretArn', { value: secrets.secrets.jwtSigningKey.secretArn });
  }
  /** Resources aws-cdk-lib adds on its own (fixed role and runtime we cannot set). */
  private acknowledgeCdkOwnedResources(): void {
    const autoDelete = this.node.tryFindChild('Custom::S3AutoDeleteObjectsCustomResourceProvider');
    if (autoDelete) {
      acknowledge(
        autoDelete,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        'CDK-owned auto-delete-objects provider (only with retainData=false): role defined by aws-cdk-lib.',
      );
      acknowledge(autoDelete, 'AwsSolutions-L1', 'CDK-owned auto-delete-objects provider: runtime pinned by aws-cdk-lib.');
    }
  }
}
