import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, type IConstruct } from 'constructs';
import { acknowledge } from '../nag.ts';

/** The construct id of aws-cdk-lib's AwsCustomResource provider (a singleton per stack). */
const AWS_CUSTOM_RESOURCE_PROVIDER = 'AWS679f53fac002430cb0da5b7982bd2287';

export interface DatabaseProps {
  vpc: ec2.IVpc;
  /** Resource name prefix, e.g. `mls-dev`. */
  prefix: string;
  /** An existing database's secret (engine JSON: host, port, username, password, dbname); skips Aurora. */
  existingSecretArn?: string;
  deletionProtection: boolean;
  removalPolicy: RemovalPolicy;
  logRetention: logs.RetentionDays;
  minCapacity: number;
  maxCapacity: number;
}

/**
 * PostgreSQL for the platform: Aurora Serverless v2 behind an RDS Proxy (Lambdas open many short
 * connections; the proxy pools them), or an existing database whose secret is passed by context.
 * Functions get DB_SECRET_ARN + DB_HOST and sit in `clientSecurityGroup`, the only group the proxy admits.
 * The Aurora secret is rotated (below). The LocalStack target builds no Database at all (no RDS there; functions
 * get DATABASE_URL), hence no rotation either.
 */
export class Database extends Construct {
  readonly secret: secretsmanager.ISecret;
  /** The RDS Proxy endpoint; undefined for an existing database (handlers then use the secret's `host`). */
  readonly host: string | undefined;
  readonly clientSecurityGroup: ec2.SecurityGroup;
  /** What must exist before migrations can run. */
  readonly readyWhen: IConstruct[];
  /** The Aurora cluster; undefined for an existing database. */
  readonly cluster: rds.DatabaseCluster | undefined;
  private readonly deletionProtection: boolean;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    this.deletionProtection = props.deletionProtection;
    this.clientSecurityGroup = new ec2.SecurityGroup(this, 'ClientSecurityGroup', {
      vpc: props.vpc,
      description: 'Lambdas that talk to PostgreSQL',
      allowAllOutbound: true,
    });

    if (props.existingSecretArn) {
      // Reaching an external database (peering, public endpoint) is the operator's network to arrange. So is
      // rotating its secret: we neither own that secret nor know the network path a rotation function would
      // need (functions/shared/db.ts follows a rotation done by the operator all the same).
      this.secret = secretsmanager.Secret.fromSecretCompleteArn(this, 'Secret', props.existingSecretArn);
      this.host = undefined;
      this.readyWhen = [];
      this.cluster = undefined;
      return;
    }

    const clusterIdentifier = `${props.prefix}-postgres`;
    // Created up front so the exported PostgreSQL log gets a retention without a LogRetention custom resource.
    const postgresLog = new logs.LogGroup(this, 'PostgresLog', {
      logGroupName: `/aws/rds/cluster/${clusterIdentifier}/postgresql`,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const cluster = new rds.DatabaseCluster(this, 'Cluster', {
      clusterIdentifier,
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_17_7 }),
      writer: rds.ClusterInstance.serverlessV2('writer', { publiclyAccessible: false }),
      serverlessV2MinCapacity: props.minCapacity,
      serverlessV2MaxCapacity: props.maxCapacity,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      credentials: rds.Credentials.fromGeneratedSecret('mls', { secretName: `${props.prefix}/database` }),
      defaultDatabaseName: 'mls',
      storageEncrypted: true,
      iamAuthentication: true,
      // Left out of the template on purpose (see `protectAfter`): a cluster created protected cannot be deleted
      // by the rollback of a failed first deploy, and the retry then fails on its identifier.
      deletionProtection: undefined,
      removalPolicy: props.removalPolicy,
      backup: { retention: Duration.days(7), preferredWindow: '03:00-04:00' },
      cloudwatchLogsExports: ['postgresql'],
    });
    cluster.node.addDependency(postgresLog);
    this.secret = cluster.secret!;
    this.cluster = cluster;
    // The password of the cluster (and of its snapshot, taken when the stack is deleted) is kept as long as
    // the data it opens: retained with it, deleted with it, and deleted by the rollback that deletes a new cluster.
    (cluster.node.findChild('Secret') as secretsmanager.Secret).applyRemovalPolicy(
      props.removalPolicy === RemovalPolicy.DESTROY ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    );

    // Rotated every 30 days by Secrets Manager's hosted single-user PostgreSQL rotation (same user, new
    // password). Functions survive it because functions/shared/db.ts gives each new connection the current
    // password and re-reads the secret once when a login is refused; the RDS Proxy reads the secret itself.
    // The rotation Lambda runs in the NAT subnets: it reaches the Secrets Manager endpoint through the NAT and
    // the cluster (isolated subnets) on 5432 through the security group rule below.
    const rotation = secretsmanager.HostedRotation.postgreSqlSingleUser({
      functionName: `${props.prefix}-database-rotation`,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    });
    this.secret.addRotationSchedule('Rotation', {
      hostedRotation: rotation,
      automaticallyAfter: Duration.days(30),
      // The generated password is new anyway; rotating it on creation would race the migrate trigger of the
      // same deploy (it connects with the password it read just before).
      rotateImmediatelyOnUpdate: false,
    });
    cluster.connections.allowDefaultPortFrom(rotation, 'Secrets Manager rotation of the database password');

    const proxy = cluster.addProxy('Proxy', {
      dbProxyName: `${props.prefix}-proxy`,
      secrets: [this.secret],
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      requireTLS: true,
    });
    proxy.connections.allowFrom(this.clientSecurityGroup, ec2.Port.tcp(5432), 'Lambdas to the RDS Proxy');
    this.host = proxy.endpoint;
    this.readyWhen = [cluster, proxy];

    Validations.of(cluster).acknowledge({
      id: 'AwsSolutions-RDS11',
      reason:
        'Clients reach the database only through the RDS Proxy, which always listens on 5432 for PostgreSQL; a different cluster port would hide nothing and the security groups admit only the Lambda client group.',
    });
    Validations.of(cluster).acknowledge({
      id: 'AwsSolutions-RDS10',
      reason: props.deletionProtection
        ? 'Deletion protection is switched on by the DeletionProtection custom resource once everything else of the first deploy exists (protectAfter): a cluster created protected would make the rollback of a failed first deploy fail, and the retry with it.'
        : 'Deletion protection was switched off by context (deletionProtection=false) for a disposable stage.',
    });
  }

  /**
   * Switches deletion protection on after `dependencies` (everything else of the stack) exist: on the first
   * deploy that is its last step, so a deploy that fails before it rolls back to nothing (the cluster is
   * created unprotected and deleted by the rollback); once on, it stays on, and CloudFormation never turns it
   * off because the template leaves the property unset. Nothing happens on delete: deleting the stack keeps
   * the cluster until an operator switches protection off (docs/deploy.md, "Teardown").
   */
  protectAfter(dependencies: IConstruct[], logRetention: logs.RetentionDays): void {
    if (!this.cluster || !this.deletionProtection) return;
    const call: cr.AwsSdkCall = {
      service: 'RDS',
      action: 'modifyDBCluster',
      parameters: { DBClusterIdentifier: this.cluster.clusterIdentifier, DeletionProtection: true, ApplyImmediately: true },
      physicalResourceId: cr.PhysicalResourceId.of(`${this.cluster.clusterIdentifier}-deletion-protection`),
    };
    const protection = new cr.AwsCustomResource(this, 'DeletionProtection', {
      onCreate: call,
      onUpdate: call,
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['rds:ModifyDBCluster'], resources: [this.cluster.clusterArn] }),
      ]),
      installLatestAwsSdk: false,
      logGroup: new logs.LogGroup(this, 'DeletionProtectionLogs', { retention: logRetention, removalPolicy: RemovalPolicy.DESTROY }),
    });
    for (const dependency of dependencies) protection.node.addDependency(dependency);
    // AwsCustomResource's provider is a stack-level singleton whose role and runtime aws-cdk-lib defines.
    const provider = Stack.of(this).node.tryFindChild(AWS_CUSTOM_RESOURCE_PROVIDER);
    if (provider) {
      acknowledge(
        provider,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        'CDK-owned AwsCustomResource provider: basic execution role defined by aws-cdk-lib, plus rds:ModifyDBCluster on this cluster only.',
      );
      acknowledge(provider, 'AwsSolutions-L1', 'CDK-owned AwsCustomResource provider: its runtime is pinned by aws-cdk-lib, not by this stack.');
    }
  }
}
