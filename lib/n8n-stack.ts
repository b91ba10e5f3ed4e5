/**
 * n8n itself, self-hosted on ECS Fargate, in a nested stack of its own (infrastructure, not a domain: the
 * n8n monitor's functions live in their domain stack and watch this n8n like any other).
 *
 *   ALB (HTTPS 443, HTTP 80 redirects; /metrics answered 404 here, never forwarded)
 *     └─ Fargate service "main" (1 task): db-init (once per task) ─▶ n8n ◀─▶ task runners sidecar
 *   queue mode only: ElastiCache Redis (TLS, AUTH) + Fargate service "worker" (n8n worker + runners sidecar)
 *   n8n's own database and role on the stack's PostgreSQL, created by db-init with the stack's database secret
 *
 * Context (`-c key=value`), read here so the parent stack only decides whether n8n runs at all:
 *   n8n                 `regular` (default) | `queue` | `none` (run none; register an existing n8n through the API)
 *   n8nDomainName       the host name n8n answers on (WEBHOOK_URL, the certificate); without it no n8n is built
 *   n8nCertificateArn   an ACM certificate for that name, or
 *   n8nHostedZoneId     a Route 53 zone holding the name: a DNS-validated certificate and an alias record are created
 *   n8nVersion          image tag of n8nio/n8n and n8nio/runners (default: the version the monitor's contract pins)
 *   n8nWorkers          queue mode: worker tasks (default 2)
 *   n8nOwnerEmail       the owner account the deploy sets up (default admin@<domain>)
 *
 * Every deploy then sets n8n up for the monitor (setupOnDeploy): a CDK trigger runs the n8n monitor's
 * `setup-stack-n8n` once the service and its listener exist; `npm run n8n:setup` is the manual retry.
 */
import { Annotations, CfnOutput, CfnResource, Duration, NestedStack, RemovalPolicy, Stack, Token, type NestedStackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53Targets from 'aws-cdk-lib/aws-route53-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as triggers from 'aws-cdk-lib/triggers';
import type { Construct } from 'constructs';
import { env } from '#shared/resources.ts';
import { acknowledgeTriggerProvider } from './constructs/migrations.construct.ts';
import { acknowledge } from './nag.ts';

/** The n8n the monitor's contract tests pin (test/fixtures/n8n); local/n8n.ts installs the same. */
export const DEFAULT_N8N_VERSION = '2.41.1';
const N8N_PORT = 5678;
const RUNNER_BROKER_PORT = 5679;
/** Not Redis's default port (cdk-nag AwsSolutions-AEC5: a default port is the first one scanned). */
const REDIS_PORT = 6380;

export type N8nMode = 'regular' | 'queue';

export interface N8nSettings {
  mode: N8nMode;
  domainName: string;
  certificateArn?: string;
  hostedZoneId?: string;
  version: string;
  workers: number;
  ownerEmail: string;
}

/** The stack's PostgreSQL as n8n needs it: the admin secret (engine JSON: host, port, username, password, dbname). */
export interface N8nDatabase {
  secret: secretsmanager.ISecret;
  /** The cluster's connections, to admit n8n on 5432; undefined for an existing database (the operator's network). */
  connections?: ec2.Connections;
}

export interface N8nStackProps extends NestedStackProps {
  prefix: string;
  vpc: ec2.IVpc;
  database: N8nDatabase;
  settings: N8nSettings;
  logRetention: logs.RetentionDays;
  /** For the secrets n8n's data depends on (the encryption key above all). */
  dataRemovalPolicy: RemovalPolicy;
}

/**
 * The n8n settings from context, or undefined when no n8n is to run: `n8n=none`, or no `n8nDomainName` (an
 * HTTPS listener needs a certificate, and a certificate a name; a warning on the stack says how to enable it).
 */
export const n8nSettingsFromContext = (scope: Construct, context: (key: string) => string | undefined): N8nSettings | undefined => {
  const mode = context('n8n') ?? 'regular';
  if (mode === 'none') return undefined;
  if (mode !== 'regular' && mode !== 'queue') throw new Error(`context n8n must be regular, queue or none: ${mode}`);
  const domainName = context('n8nDomainName');
  if (!domainName) {
    Annotations.of(scope).addWarningV2(
      'mls:n8n-not-configured',
      'n8n on ECS is not built: give -c n8nDomainName=<host> with -c n8nCertificateArn=<ACM ARN> or -c n8nHostedZoneId=<zone> (or -c n8n=none to silence this).',
    );
    return undefined;
  }
  if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(domainName))
    throw new Error(`context n8nDomainName must be a lower-case DNS name such as n8n.example.com: ${domainName}`);
  const certificateArn = context('n8nCertificateArn');
  const hostedZoneId = context('n8nHostedZoneId');
  if (!certificateArn && !hostedZoneId)
    throw new Error('context n8nDomainName needs n8nCertificateArn or n8nHostedZoneId (for the HTTPS certificate)');
  if (certificateArn && !/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/.test(certificateArn))
    throw new Error(`context n8nCertificateArn must be an ACM certificate ARN: ${certificateArn}`);
  const version = context('n8nVersion') ?? DEFAULT_N8N_VERSION;
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`context n8nVersion must be a version such as ${DEFAULT_N8N_VERSION}: ${version}`);
  const workers = Number(context('n8nWorkers') ?? 2);
  if (!Number.isInteger(workers) || workers < 1 || workers > 50)
    throw new Error(`context n8nWorkers must be an integer from 1 to 50: ${context('n8nWorkers')}`);
  const ownerEmail = context('n8nOwnerEmail') ?? `admin@${domainName}`;
  return { mode, domainName, version, workers, ownerEmail, ...(certificateArn ? { certificateArn } : {}), ...(hostedZoneId ? { hostedZoneId } : {}) };
};

/**
 * n8n's own database and role on the stack's PostgreSQL, idempotent, run by a non-essential container before
 * n8n starts in every task: a first deploy creates them; later starts only keep the role's password in step
 * with its secret. Names and password come from the environment (N8N_DB_USER, N8N_DB_NAME, N8N_DB_PASSWORD)
 * through psql variables, quoted by format() (%I, %L), never spliced into the SQL text.
 */
export const DB_INIT_SCRIPT = [
  'set -eu',
  `psql -v ON_ERROR_STOP=1 -v role="$N8N_DB_USER" -v db="$N8N_DB_NAME" -v pw="$N8N_DB_PASSWORD" <<'SQL'`,
  `SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'role', :'pw') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \\gexec`,
  `SELECT format('ALTER ROLE %I PASSWORD %L', :'role', :'pw') \\gexec`,
  // Aurora's master is not a superuser: it must be a member of a role to create a database owned by it.
  `SELECT format('GRANT %I TO CURRENT_USER', :'role') \\gexec`,
  `SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \\gexec`,
  'SQL',
].join('\n');

export class N8nStack extends NestedStack {
  readonly url: string;
  readonly service: ecs.FargateService;
  readonly workers: ecs.FargateService | undefined;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly httpsListener: elbv2.ApplicationListener;
  readonly ownerSecret: secretsmanager.Secret;
  readonly apiKeySecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: N8nStackProps) {
    super(scope, id, { ...props, description: `Multimodal LLM Stack: n8n on ECS Fargate (${props.prefix}, ${props.settings.mode} mode)` });
    const { settings, vpc, prefix } = props;
    this.url = `https://${settings.domainName}`;
    const secret = (name: string, description: string, generate: secretsmanager.SecretStringGenerator) =>
      new secretsmanager.Secret(this, name, {
        secretName: `${prefix}/n8n/${name.charAt(0).toLowerCase()}${name.slice(1)}`,
        description,
        generateSecretString: generate,
        removalPolicy: props.dataRemovalPolicy,
      });
    // Losing it makes every credential stored in n8n unreadable: kept with the data, never rotated.
    const encryptionKey = secret('EncryptionKey', 'N8N_ENCRYPTION_KEY: encrypts the credentials n8n stores', {
      passwordLength: 48,
      excludePunctuation: true,
    });
    const dbCredentials = secret('DatabaseCredentials', "n8n's own PostgreSQL role (n8n) and its password", {
      secretStringTemplate: JSON.stringify({ username: 'n8n' }),
      generateStringKey: 'password',
      passwordLength: 40,
      excludePunctuation: true,
    });
    const runnersToken = secret('RunnersAuthToken', 'Shared by n8n and its task runners sidecar', { passwordLength: 48, excludePunctuation: true });
    this.ownerSecret = secret('Owner', "n8n's owner account, set up on deploy (setup-stack-n8n; retry: npm run n8n:setup)", {
      secretStringTemplate: JSON.stringify({ email: settings.ownerEmail }),
      generateStringKey: 'password',
      // n8n wants 8-64 characters with a digit and an upper-case letter.
      passwordLength: 40,
      excludePunctuation: true,
      requireEachIncludedType: true,
    });
    this.apiKeySecret = new secretsmanager.Secret(this, 'ApiKey', {
      secretName: `${prefix}/n8n/apiKey`,
      description: 'The n8n API key the monitor uses, written on deploy (setup-stack-n8n) or by `npm run n8n:setup`',
      removalPolicy: props.dataRemovalPolicy,
    });
    for (const s of [encryptionKey, dbCredentials, runnersToken, this.ownerSecret, this.apiKeySecret]) {
      acknowledge(
        s,
        'AwsSolutions-SMG4',
        "Not rotated by Secrets Manager: n8n reads these once at start (a rotated encryption key would make its stored credentials unreadable; the owner and API key live inside n8n's own database). Rotate by hand with a redeploy.",
      );
    }

    const cluster = new ecs.Cluster(this, 'Cluster', { clusterName: `${prefix}-n8n`, vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/ecs/${prefix}-n8n`,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // Redis for queue mode: TLS in transit, encrypted at rest, AUTH, two nodes across AZs with failover.
    let redis: { host: string; password: secretsmanager.Secret; securityGroup: ec2.SecurityGroup } | undefined;
    if (settings.mode === 'queue') {
      const password = secret('RedisAuthToken', 'Redis AUTH for the n8n queue', { passwordLength: 64, excludePunctuation: true });
      const securityGroup = new ec2.SecurityGroup(this, 'RedisSecurityGroup', { vpc, description: 'n8n queue Redis', allowAllOutbound: false });
      const subnets = new elasticache.CfnSubnetGroup(this, 'RedisSubnets', {
        description: 'n8n queue Redis',
        subnetIds: vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_ISOLATED }).subnetIds,
      });
      const group = new elasticache.CfnReplicationGroup(this, 'Redis', {
        replicationGroupDescription: `${prefix} n8n queue`,
        engine: 'redis',
        engineVersion: '7.1',
        cacheNodeType: 'cache.t4g.micro',
        numCacheClusters: 2,
        automaticFailoverEnabled: true,
        multiAzEnabled: true,
        port: REDIS_PORT,
        cacheSubnetGroupName: subnets.ref,
        securityGroupIds: [securityGroup.securityGroupId],
        transitEncryptionEnabled: true,
        atRestEncryptionEnabled: true,
        authToken: password.secretValue.unsafeUnwrap(),
      });
      acknowledge(
        password,
        'AwsSolutions-SMG4',
        'Not rotated by Secrets Manager: ElastiCache takes a new AUTH token only through a ROTATE/SET update that n8n would have to follow; rotate by hand with a redeploy.',
      );
      redis = { host: group.attrPrimaryEndPointAddress, password, securityGroup };
    }

    const common = {
      // Behind one proxy (the ALB): n8n trusts its X-Forwarded-For/-Proto for client IPs and https links.
      N8N_PROXY_HOPS: '1',
      N8N_HOST: settings.domainName,
      N8N_PROTOCOL: 'https',
      N8N_PORT: String(N8N_PORT),
      WEBHOOK_URL: `${this.url}/`,
      N8N_EDITOR_BASE_URL: `${this.url}/`,
      DB_TYPE: 'postgresdb',
      DB_POSTGRESDB_DATABASE: 'n8n',
      DB_POSTGRESDB_USER: 'n8n',
      DB_POSTGRESDB_PORT: '5432',
      DB_POSTGRESDB_SSL_ENABLED: 'true',
      // Encrypted, inside the VPC; Node's trust store lacks the RDS CA, so the chain is not verified.
      DB_POSTGRESDB_SSL_REJECT_UNAUTHORIZED: 'false',
      EXECUTIONS_DATA_PRUNE: 'true',
      EXECUTIONS_DATA_MAX_AGE: '336',
      EXECUTIONS_DATA_PRUNE_MAX_COUNT: '50000',
      // No EFS: binary data goes to the database (n8n's `database` mode, up to N8N_BINARY_DATA_DATABASE_MAX_FILE_SIZE).
      N8N_DEFAULT_BINARY_DATA_MODE: 'database',
      N8N_METRICS: 'true',
      N8N_RUNNERS_MODE: 'external',
      N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '0.0.0.0',
      N8N_RUNNERS_BROKER_PORT: String(RUNNER_BROKER_PORT),
      N8N_DIAGNOSTICS_ENABLED: 'false',
      N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
      N8N_LOG_FORMAT: 'json',
      GENERIC_TIMEZONE: 'UTC',
      ...(redis
        ? {
            EXECUTIONS_MODE: 'queue',
            QUEUE_BULL_REDIS_HOST: redis.host,
            QUEUE_BULL_REDIS_PORT: String(REDIS_PORT),
            QUEUE_BULL_REDIS_TLS: 'true',
            QUEUE_HEALTH_CHECK_ACTIVE: 'true',
            OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS: 'true',
          }
        : { EXECUTIONS_MODE: 'regular' }),
    };
    const commonSecrets: Record<string, ecs.Secret> = {
      DB_POSTGRESDB_HOST: ecs.Secret.fromSecretsManager(props.database.secret, 'host'),
      DB_POSTGRESDB_PASSWORD: ecs.Secret.fromSecretsManager(dbCredentials, 'password'),
      N8N_ENCRYPTION_KEY: ecs.Secret.fromSecretsManager(encryptionKey),
      N8N_RUNNERS_AUTH_TOKEN: ecs.Secret.fromSecretsManager(runnersToken),
      ...(redis ? { QUEUE_BULL_REDIS_PASSWORD: ecs.Secret.fromSecretsManager(redis.password) } : {}),
    };
    const healthCheck = (path: string): ecs.HealthCheck => ({
      // The n8n image has Node but no curl.
      command: ['CMD-SHELL', `node -e "fetch('http://127.0.0.1:${N8N_PORT}${path}').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"`],
      interval: Duration.seconds(30),
      timeout: Duration.seconds(5),
      retries: 3,
      startPeriod: Duration.seconds(240),
    });

    const taskDefinition = (name: 'Main' | 'Worker', command: string[] | undefined): ecs.FargateTaskDefinition => {
      const task = new ecs.FargateTaskDefinition(this, `${name}Task`, {
        family: `${prefix}-n8n-${name.toLowerCase()}`,
        cpu: 1024,
        memoryLimitMiB: 2048,
        runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
      });
      const logging = (streamPrefix: string) => ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: `${name.toLowerCase()}-${streamPrefix}` });
      const n8n = task.addContainer('n8n', {
        image: ecs.ContainerImage.fromRegistry(`docker.io/n8nio/n8n:${settings.version}`),
        ...(command ? { command } : {}),
        essential: true,
        portMappings: [{ containerPort: N8N_PORT, name: 'http' }],
        environment: common,
        secrets: commonSecrets,
        healthCheck: healthCheck('/healthz'),
        logging: logging('n8n'),
        stopTimeout: Duration.seconds(60),
      });
      if (name === 'Main') {
        const init = task.addContainer('db-init', {
          image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/postgres:17-alpine'),
          essential: false,
          entryPoint: ['sh', '-c'],
          command: [DB_INIT_SCRIPT],
          // `postgres`, not the secret's dbname: a secret without that key would stop the task from starting.
          environment: { PGDATABASE: 'postgres', PGSSLMODE: 'require', PGCONNECT_TIMEOUT: '20', N8N_DB_USER: 'n8n', N8N_DB_NAME: 'n8n' },
          secrets: {
            PGHOST: ecs.Secret.fromSecretsManager(props.database.secret, 'host'),
            PGPORT: ecs.Secret.fromSecretsManager(props.database.secret, 'port'),
            PGUSER: ecs.Secret.fromSecretsManager(props.database.secret, 'username'),
            PGPASSWORD: ecs.Secret.fromSecretsManager(props.database.secret, 'password'),
            N8N_DB_PASSWORD: ecs.Secret.fromSecretsManager(dbCredentials, 'password'),
          },
          logging: logging('db-init'),
        });
        n8n.addContainerDependencies({ container: init, condition: ecs.ContainerDependencyCondition.SUCCESS });
      }
      // n8n's task runners (Code node JavaScript and Python) in a sidecar, talking to n8n's broker on localhost.
      const runners = task.addContainer('runners', {
        image: ecs.ContainerImage.fromRegistry(`docker.io/n8nio/runners:${settings.version}`),
        essential: true,
        environment: { N8N_RUNNERS_TASK_BROKER_URI: `http://127.0.0.1:${RUNNER_BROKER_PORT}`, N8N_RUNNERS_AUTO_SHUTDOWN_TIMEOUT: '15' },
        secrets: { N8N_RUNNERS_AUTH_TOKEN: ecs.Secret.fromSecretsManager(runnersToken) },
        logging: logging('runners'),
      });
      runners.addContainerDependencies({ container: n8n, condition: ecs.ContainerDependencyCondition.START });
      acknowledge(
        task,
        'AwsSolutions-ECS2',
        'Plain environment variables hold configuration only (host names, ports, modes); every secret (database passwords, encryption key, runner token, Redis AUTH) comes from Secrets Manager through `secrets`.',
      );
      return task;
    };

    const serviceSecurityGroup = new ec2.SecurityGroup(this, 'ServiceSecurityGroup', { vpc, description: 'n8n tasks', allowAllOutbound: true });
    props.database.connections?.allowDefaultPortFrom(serviceSecurityGroup, 'n8n to its database');
    if (redis) redis.securityGroup.addIngressRule(serviceSecurityGroup, ec2.Port.tcp(REDIS_PORT), 'n8n main and workers to the queue');

    const subnets = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    this.service = new ecs.FargateService(this, 'Main', {
      serviceName: `${prefix}-n8n`,
      cluster,
      taskDefinition: taskDefinition('Main', undefined),
      // One main: n8n's regular mode (and queue mode's main without the enterprise multi-main) must not run
      // twice, or schedules and polling triggers fire twice. A deploy stops the old task before starting the new.
      desiredCount: 1,
      minHealthyPercent: 0,
      maxHealthyPercent: 100,
      vpcSubnets: subnets,
      securityGroups: [serviceSecurityGroup],
      assignPublicIp: false,
      circuitBreaker: { enable: true, rollback: true },
      healthCheckGracePeriod: Duration.minutes(5),
    });
    if (settings.mode === 'queue') {
      this.workers = new ecs.FargateService(this, 'Worker', {
        serviceName: `${prefix}-n8n-worker`,
        cluster,
        taskDefinition: taskDefinition('Worker', ['worker']),
        desiredCount: settings.workers,
        minHealthyPercent: 50,
        vpcSubnets: subnets,
        securityGroups: [serviceSecurityGroup],
        assignPublicIp: false,
        circuitBreaker: { enable: true, rollback: true },
      });
      this.workers.node.addDependency(this.service);
    }

    // The public side: an internet-facing ALB, HTTPS only (HTTP redirects).
    const albSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc,
      description: 'n8n load balancer',
      allowAllOutbound: false,
    });
    albSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS from anywhere (n8n editor, API, webhooks)');
    albSecurityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'HTTP, redirected to HTTPS');
    acknowledge(
      albSecurityGroup,
      'AwsSolutions-EC23',
      "n8n's webhooks must be reachable by the services that call them, from anywhere; only 443 (and 80, which only redirects) are open.",
    );
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      loadBalancerName: `${prefix}-n8n`.slice(0, 32),
      vpc,
      internetFacing: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      securityGroup: albSecurityGroup,
      dropInvalidHeaderFields: true,
      // Long-running webhook calls (responseMode "lastNode") and the editor's push connection.
      idleTimeout: Duration.seconds(300),
    });
    serviceSecurityGroup.addIngressRule(albSecurityGroup, ec2.Port.tcp(N8N_PORT), 'The load balancer to n8n');
    albSecurityGroup.addEgressRule(serviceSecurityGroup, ec2.Port.tcp(N8N_PORT), 'The load balancer to n8n');
    // ELB writes access logs as its regional account, which only a stack bound to a region can name
    // (`-c region=…`); an environment-agnostic stack goes without, and says so to cdk-nag.
    if (Token.isUnresolved(Stack.of(this).region)) {
      acknowledge(
        this.loadBalancer,
        'AwsSolutions-ELB2',
        'Access logs need the region at synthesis (the bucket policy names ELB’s regional account): deploy with -c region=<region> to turn them on.',
      );
    } else {
      const accessLogs = new s3.Bucket(this, 'AccessLogs', {
        encryption: s3.BucketEncryption.S3_MANAGED,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        removalPolicy: RemovalPolicy.RETAIN,
        lifecycleRules: [{ expiration: Duration.days(90) }],
      });
      acknowledge(
        accessLogs,
        'AwsSolutions-S1',
        'This bucket is itself the access-log destination (the load balancer writes here); logging it again would recurse.',
      );
      this.loadBalancer.logAccessLogs(accessLogs, 'n8n');
    }

    let certificate: acm.ICertificate;
    let zone: route53.IHostedZone | undefined;
    if (settings.certificateArn) {
      certificate = acm.Certificate.fromCertificateArn(this, 'Certificate', settings.certificateArn);
    } else {
      zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
        hostedZoneId: settings.hostedZoneId!,
        zoneName: settings.domainName.split('.').slice(1).join('.'),
      });
      certificate = new acm.Certificate(this, 'Certificate', {
        domainName: settings.domainName,
        validation: acm.CertificateValidation.fromDns(zone),
      });
    }
    const https = this.loadBalancer.addListener('Https', {
      port: 443,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      certificates: [certificate],
      sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
      open: false,
    });
    this.httpsListener = https;
    this.loadBalancer.addListener('Http', {
      port: 80,
      open: false,
      defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
    });
    https.addTargets('N8n', {
      port: N8N_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [this.service.loadBalancerTarget({ containerName: 'n8n', containerPort: N8N_PORT })],
      deregistrationDelay: Duration.seconds(30),
      healthCheck: {
        // Ready: the database is connected and migrated (/healthz only says the process is up).
        path: '/healthz/readiness',
        healthyHttpCodes: '200',
        interval: Duration.seconds(30),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 5,
      },
    });
    // Prometheus metrics are on n8n's own port only: scrape them inside the VPC, never through the public listener.
    https.addAction('HideMetrics', {
      priority: 1,
      conditions: [elbv2.ListenerCondition.pathPatterns(['/metrics', '/metrics/*'])],
      action: elbv2.ListenerAction.fixedResponse(404, { contentType: 'text/plain', messageBody: 'Not Found' }),
    });
    if (zone) {
      new route53.ARecord(this, 'Alias', {
        zone,
        recordName: settings.domainName,
        target: route53.RecordTarget.fromAlias(new route53Targets.LoadBalancerTarget(this.loadBalancer)),
      });
    }

    // On the parent stack, where `cdk deploy` prints them and `npm run n8n:setup` finds them.
    const parent = Stack.of(scope);
    new CfnOutput(parent, 'N8nUrl', { value: this.url, description: 'n8n (editor, API, webhooks)' });
    new CfnOutput(parent, 'N8nLoadBalancerDnsName', {
      value: this.loadBalancer.loadBalancerDnsName,
      description: 'Point the n8n domain name here (CNAME or alias) when no hosted zone was given',
    });
    new CfnOutput(parent, 'N8nOwnerSecretArn', { value: this.ownerSecret.secretArn, description: "n8n's owner account (npm run n8n:setup)" });
    new CfnOutput(parent, 'N8nApiKeySecretArn', { value: this.apiKeySecret.secretArn, description: 'The API key the monitor uses for this n8n' });
  }

  /**
   * Sets this n8n up and registers it for the default tenant on every deploy, closing the window in which a
   * fresh n8n is unclaimed (anyone could create its owner): a CDK trigger runs `setup` (the n8n monitor's
   * setup-stack-n8n) once the service and the HTTPS listener exist. It reaches n8n at the load balancer's DNS
   * name with TLS and Host naming n8n's domain (no wait for public DNS), waits out n8n's start, and always
   * answers: a failure is logged by the function, never a rollback of the platform.
   *
   * The trigger lives in `scope`, the monitor's stack, so references point one way (that stack depends on this
   * one): the function's environment and grants name this stack's secrets and load balancer. The grants are
   * given here because the manifest's `access.secrets` names only the stage's fixed secrets.
   */
  setupOnDeploy(scope: Construct, setup: lambda.Function): triggers.Trigger {
    setup.addEnvironment(env.n8nStackUrl, this.url);
    setup.addEnvironment(env.n8nStackEndpoint, this.loadBalancer.loadBalancerDnsName);
    setup.addEnvironment(env.n8nOwnerSecretArn, this.ownerSecret.secretArn);
    setup.addEnvironment(env.n8nApiKeySecretArn, this.apiKeySecret.secretArn);
    this.ownerSecret.grantRead(setup);
    this.apiKeySecret.grantRead(setup);
    this.apiKeySecret.grantWrite(setup);
    const trigger = new triggers.Trigger(scope, 'SetupStackN8n', {
      handler: setup,
      executeAfter: [this.service, this.httpsListener],
      executeOnHandlerChange: true,
      invocationType: triggers.InvocationType.REQUEST_RESPONSE,
      timeout: setup.timeout ?? Duration.minutes(10),
    });
    // Run on every deploy, not only when the function changes: a redeploy replaces n8n's task, and a key
    // revoked in n8n since the last deploy is replaced then. The function is idempotent.
    const resource = trigger.node.findAll().find((c): c is CfnResource => CfnResource.isCfnResource(c));
    resource?.addPropertyOverride('DeployedAt', new Date().toISOString());
    acknowledgeTriggerProvider(Stack.of(scope));
    return trigger;
  }

  /** The stack's n8n when context asks for one (see the top of this file), else undefined. */
  static fromContext(scope: Construct, props: Omit<N8nStackProps, 'settings'>): N8nStack | undefined {
    const context = (key: string): string | undefined => {
      const value: unknown = scope.node.tryGetContext(key);
      return value === undefined || value === null || value === '' ? undefined : String(value);
    };
    const settings = n8nSettingsFromContext(scope, context);
    return settings ? new N8nStack(scope, 'N8n', { ...props, settings }) : undefined;
  }
}
