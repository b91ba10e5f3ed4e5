import path from 'node:path';
import { cpSync } from 'node:fs';
import { ArnFormat, AssetHashType, Duration, type ILocalBundling, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import { buildSync } from 'esbuild';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  pascalName,
  type FunctionSpec,
  type LayerName,
  type SecretName,
  type SettingName,
  type StateMachineName,
  type TableName,
  type TopicName,
} from '#shared/manifest.types.ts';
import {
  env,
  secrets as secretShapes,
  settings as settingShapes,
  stateMachineEnv,
  tables as tableShapes,
  topics as topicShapes,
} from '#shared/resources.ts';
import { bundling, functionBuildOptions } from '../bundling.ts';
import { acknowledge, acknowledgeWildcardResource } from '../nag.ts';
import type { Database } from './database.construct.ts';
import { LiveAliases, type SafeDeploys } from './live-aliases.construct.ts';
import { PackagesLayer } from './layers.construct.ts';

/** Where functions find PostgreSQL: Aurora/existing secret inside the VPC, or a plain URL (LocalStack). */
export type DatabaseWiring = { kind: 'vpc'; vpc: ec2.IVpc; database: Database } | { kind: 'url'; url: string };

/**
 * What the parent stack owns and every domain's functions may be granted: built once in the parent and handed
 * to each nested stack, where CloudFormation parameters carry the references across.
 */
export interface SharedResources {
  prefix: string;
  stage: string;
  /** Repository root: manifest entries, ASL files and extra asset folders are relative to it. */
  projectRoot: string;
  logRetention: logs.RetentionDays;
  removalPolicy: RemovalPolicy;
  logLevel: string;
  metricsNamespace: string;
  database: DatabaseWiring;
  tables: Record<TableName, dynamodb.ITable>;
  bucket: s3.IBucket;
  secrets: Record<SecretName, secretsmanager.ISecret>;
  /** SNS topics functions may publish to (`access.topics`). */
  topics?: Partial<Record<TopicName, sns.ITopic>>;
  /** State machine names are fixed up front, so ARNs are known without a dependency on the resource. */
  stateMachineName: (name: StateMachineName) => string;
  /** `localstackHost`: LocalStack's API host, which nested stacks build their callback URL with. */
  websocket: { callbackUrl: string; apiId: string; stageName: string; localstackHost?: string };
  /** Operator settings from context; each reaches only the functions that name it. */
  settings: Partial<Record<SettingName, string>>;
  s3ForcePathStyle: boolean;
  /** The stage's event bus: functions with `access.eventBus` get its name and may put events on it. */
  eventBus?: events.IEventBus;
  /** Where failed asynchronous invocations of scheduled functions go (lib/constructs/event-bus.construct.ts). */
  deadLetterQueue?: sqs.IQueue;
  /** Live aliases and how new versions take traffic (lib/constructs/live-aliases.construct.ts); none: callers invoke $LATEST. */
  safeDeploys?: SafeDeploys;
  /** Folders copied into a function's bundle, by function name (e.g. migrate -> migrations). */
  extraAssets?: Record<string, string[]>;
}

export interface FunctionsProps {
  specs: FunctionSpec[];
  shared: SharedResources;
  /** Names the stack's live-alias alarms (`<prefix>-<group>-functions`); default `functions`. */
  group?: string;
}

/** The RDS certificate authorities in Lambda's Node.js runtimes (NODE_EXTRA_CA_CERTS). */
export const RDS_CA_BUNDLE = '/var/runtime/ca-cert.pem';

const DYNAMODB_READ = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
];
const DYNAMODB_WRITE = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

/**
 * One function's local bundling step. A class with its inputs as fields, not an object literal: CDK keys its
 * in-process asset cache on the bundling options serialised to JSON, where a bare `tryBundle` function
 * vanishes, so every function would get the first function's bundle (test/infra/migrations.test.ts
 * bundles two functions to keep that from coming back).
 */
class LocalEsbuild implements ILocalBundling {
  readonly projectRoot: string;
  readonly entry: string;
  readonly external: readonly string[];
  readonly extraAssets: readonly string[];

  constructor(projectRoot: string, entry: string, external: readonly string[], extraAssets: readonly string[]) {
    this.projectRoot = projectRoot;
    this.entry = entry;
    this.external = external;
    this.extraAssets = extraAssets;
  }

  tryBundle(outputDir: string): boolean {
    buildSync(functionBuildOptions(path.join(this.projectRoot, this.entry), outputDir, this.external));
    for (const dir of this.extraAssets) cpSync(path.join(this.projectRoot, dir), path.join(outputDir, dir), { recursive: true });
    return true;
  }
}

/**
 * One lambda.Function per manifest entry of a stack. Everything a function may touch is derived from its
 * `access`: the environment variables (names from functions/shared/resources.ts) and the IAM statements, so a
 * new entry needs no change here. Each function has its own role with inline statements only (no AWS managed
 * policies).
 */
export class DomainFunctions extends Construct {
  readonly byName = new Map<string, lambda.Function>();
  /** Layers the functions of this construct use (built in the app's top-level stack on first use). */
  readonly #layers = new Map<LayerName, PackagesLayer>();

  constructor(scope: Construct, id: string, props: FunctionsProps) {
    super(scope, id);
    for (const spec of props.specs) {
      if (this.byName.has(spec.name)) throw new Error(`Duplicate function name in the manifest: ${spec.name}`);
      this.byName.set(spec.name, this.createFunction(spec, props.shared));
    }
    if (props.shared.safeDeploys) {
      // The group in the id: logical ids stay unique across stacks (the stack-level resources share a path).
      this.live = new LiveAliases(this, `Live${pascalName(props.group ?? 'functions')}`, {
        ...props.shared.safeDeploys,
        functions: this.byName,
        prefix: props.shared.prefix,
        group: props.group ?? 'functions',
      });
    }
  }

  /** Live aliases (and their alarms), when the stack deploys safely; see `invokable`. */
  readonly live: LiveAliases | undefined;

  /** What callers invoke: the function's live alias, or the function itself when there are no aliases. */
  invokable(name: string): lambda.IFunction {
    return this.live ? this.live.get(name) : this.get(name);
  }

  /**
   * One layer per app, in the top-level stack, whichever domain asks first: every nested stack that uses it
   * gets its ARN as a parameter (CDK wires the reference), so one version is published, not one per domain.
   */
  private layer(name: LayerName, props: SharedResources): PackagesLayer {
    let layer = this.#layers.get(name);
    if (!layer) {
      let root = Stack.of(this);
      while (root.nestedStackParent) root = root.nestedStackParent;
      const id = `${name[0]!.toUpperCase()}${name.slice(1)}Layer`;
      layer =
        (root.node.tryFindChild(id) as PackagesLayer | undefined) ??
        new PackagesLayer(root, id, { name, prefix: props.prefix, projectRoot: props.projectRoot });
      this.#layers.set(name, layer);
    }
    return layer;
  }

  get(name: string): lambda.Function {
    const fn = this.byName.get(name);
    if (!fn) throw new Error(`The manifest names an unknown function: ${name}`);
    return fn;
  }

  private createFunction(spec: FunctionSpec, props: SharedResources): lambda.Function {
    const stack = Stack.of(this);
    const scope = new Construct(this, spec.name);
    const functionName = `${props.prefix}-${spec.name}`;
    const access = spec.access;

    const logGroup = new logs.LogGroup(scope, 'Logs', {
      logGroupName: `/aws/lambda/${functionName}`,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    const role = new iam.Role(scope, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${functionName}`,
    });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));

    const environment: Record<string, string> = {
      NODE_OPTIONS: '--enable-source-maps',
      [env.stage]: props.stage,
      POWERTOOLS_SERVICE_NAME: spec.domain,
      POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace,
      POWERTOOLS_LOG_LEVEL: props.logLevel,
    };
    if (props.s3ForcePathStyle) environment[env.s3ForcePathStyle] = 'true';

    let vpcConfig: Pick<lambda.FunctionProps, 'vpc' | 'vpcSubnets' | 'securityGroups'> = {};
    if (access.database) {
      if (props.database.kind === 'url') {
        environment[env.databaseUrl] = props.database.url;
      } else {
        const { vpc, database } = props.database;
        vpcConfig = {
          vpc,
          vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
          securityGroups: [database.clientSecurityGroup],
        };
        environment[env.dbSecretArn] = database.secret.secretArn;
        if (database.host) environment[env.dbHost] = database.host;
        // The client verifies the server's certificate (functions/shared/db.ts). Lambda's Node.js runtimes
        // ship the RDS certificate authorities in this file but do not load them unless told: without it a
        // database reached directly (databaseSecretArn) fails its TLS handshake on the first query.
        environment.NODE_EXTRA_CA_CERTS = RDS_CA_BUNDLE;
        database.secret.grantRead(role);
        // Lambda manages the function's ENIs with the execution role; these EC2 actions take no resource ARN.
        role.addToPolicy(
          new iam.PolicyStatement({
            actions: [
              'ec2:CreateNetworkInterface',
              'ec2:DescribeNetworkInterfaces',
              'ec2:DescribeSubnets',
              'ec2:DeleteNetworkInterface',
              'ec2:AssignPrivateIpAddresses',
              'ec2:UnassignPrivateIpAddresses',
            ],
            resources: ['*'],
          }),
        );
      }
    }

    for (const [tableName, mode] of Object.entries(access.tables ?? {}) as Array<[TableName, 'read' | 'readwrite']>) {
      const table = props.tables[tableName];
      environment[tableShapes[tableName].env] = table.tableName;
      // Index ARNs listed one by one instead of `<table>/index/*`: no wildcard to acknowledge.
      const indexArns = (tableShapes[tableName].indexes ?? []).map((index) => `${table.tableArn}/index/${index.name}`);
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: mode === 'readwrite' ? [...DYNAMODB_READ, ...DYNAMODB_WRITE] : DYNAMODB_READ,
          resources: [table.tableArn, ...indexArns],
        }),
      );
    }

    if (access.bucket) {
      environment[env.bucket] = props.bucket.bucketName;
      const objects = props.bucket.arnForObjects('*');
      role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [props.bucket.bucketArn] }));
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: access.bucket === 'readwrite' ? ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'] : ['s3:GetObject'],
          resources: [objects],
        }),
      );
      acknowledgeWildcardResource(
        role,
        objects,
        'Object keys are chosen at run time (per tenant and upload); the statement is limited to this one bucket and to the object actions the manifest entry asks for.',
      );
    }

    for (const secretName of access.secrets ?? []) {
      const secret = props.secrets[secretName];
      environment[`${secretShapes[secretName].env}_ARN`] = secret.secretArn;
      secret.grantRead(role);
    }
    for (const topicName of access.topics ?? []) {
      const topic = props.topics?.[topicName];
      if (!topic) continue;
      environment[topicShapes[topicName].env] = topic.topicArn;
      topic.grantPublish(role);
    }
    if (access.eventBus && props.eventBus) {
      environment[env.eventBusName] = props.eventBus.eventBusName;
      props.eventBus.grantPutEventsTo(role);
    }
    for (const name of access.settings ?? []) {
      const value = props.settings[name];
      if (value !== undefined) environment[settingShapes[name].env] = value;
    }

    for (const machine of access.stateMachines ?? []) {
      const name = props.stateMachineName(machine);
      const machineArn = stack.formatArn({
        service: 'states',
        resource: 'stateMachine',
        resourceName: name,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
      const executionArn = stack.formatArn({
        service: 'states',
        resource: 'execution',
        resourceName: `${name}:*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
      environment[stateMachineEnv(machine)] = machineArn;
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['states:StartExecution', 'states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
          resources: [machineArn],
        }),
      );
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['states:DescribeExecution', 'states:StopExecution', 'states:GetExecutionHistory'],
          resources: [executionArn],
        }),
      );
      acknowledgeWildcardResource(
        role,
        executionArn,
        `Execution names are generated per run; the statement covers executions of the ${name} state machine only.`,
      );
    }

    if (access.websocketManagement) {
      environment[env.websocketCallbackUrl] = props.websocket.callbackUrl;
      const connectionsArn = stack.formatArn({
        service: 'execute-api',
        resource: props.websocket.apiId,
        resourceName: `${props.websocket.stageName}/*/@connections/*`,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      });
      role.addToPolicy(new iam.PolicyStatement({ actions: ['execute-api:ManageConnections'], resources: [connectionsArn] }));
      acknowledgeWildcardResource(
        role,
        connectionsArn,
        'Connection ids are assigned by API Gateway at connect time; the statement covers the @connections API of this WebSocket API stage only.',
      );
    }

    acknowledge(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      'Only actions without resource-level permissions use "*": X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) and, for VPC functions, the EC2 network-interface actions Lambda needs.',
    );

    const layers = (spec.layers ?? []).map((name) => this.layer(name, props));
    const extraAssets = props.extraAssets?.[spec.name] ?? [];
    const external = [...bundling.external, ...layers.flatMap((l) => l.packages)];
    const fn = new lambda.Function(scope, 'Function', {
      functionName,
      description: spec.description,
      // esbuild through its API (lib/bundling.ts), as NodejsFunction would run it, but with code splitting, which
      // NodejsFunction's single `--outfile` cannot do: what a handler loads lazily stays out of its cold start.
      code: lambda.Code.fromAsset(props.projectRoot, {
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          // Never used: local bundling always succeeds (esbuild is a dependency of this project), but the API
          // wants an image to fall back on.
          image: lambda.Runtime.NODEJS_24_X.bundlingImage,
          local: new LocalEsbuild(props.projectRoot, spec.entry, external, extraAssets),
        },
      }),
      handler: `index.${spec.handler ?? 'handler'}`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: spec.memoryMb ?? 512,
      ...(layers.length > 0 ? { layers: layers.map((l) => l.layer) } : {}),
      timeout: Duration.seconds(spec.timeoutSeconds ?? 29),
      role,
      logGroup,
      tracing: lambda.Tracing.ACTIVE,
      environment,
      // EventBridge invokes scheduled functions asynchronously: after Lambda's retries, the event is kept here.
      ...(spec.schedule && props.deadLetterQueue ? { deadLetterQueue: props.deadLetterQueue } : {}),
      ...vpcConfig,
    });
    return fn;
  }
}
