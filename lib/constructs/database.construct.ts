import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, type IConstruct } from 'constructs';

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

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
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
      deletionProtection: props.deletionProtection,
      removalPolicy: props.removalPolicy,
      backup: { retention: Duration.days(7), preferredWindow: '03:00-04:00' },
      cloudwatchLogsExports: ['postgresql'],
    });
    cluster.node.addDependency(postgresLog);
    this.secret = cluster.secret!;

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
    if (!props.deletionProtection) {
      Validations.of(cluster).acknowledge({
        id: 'AwsSolutions-RDS10',
        reason: 'Deletion protection was switched off by context (deletionProtection=false) for a disposable stage.',
      });
    }
  }
}
