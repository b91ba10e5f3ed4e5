import { ArnFormat, Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { isAudited, type DomainManifest, type FunctionSpec, type PlatformManifest, type TableName } from '#shared/manifest.types.ts';
import type { OperationsSettings } from '../operations-context.ts';

const FIVE_MINUTES = Duration.minutes(5);

export interface OperationsProps {
  prefix: string;
  stage: string;
  /** The functions' metrics namespace (functions/shared/resources.ts `metricsNamespace`). */
  namespace: string;
  settings: OperationsSettings;
  removalPolicy: RemovalPolicy;
}

export interface OperationsWiring {
  manifest: PlatformManifest;
  restApiName: string;
  /** The REST stage's ARN, for the WAF association. */
  restStageArn: string;
  webSocketApiId: string;
  tables: Record<TableName, dynamodb.ITable>;
  deadLetterQueue: sqs.IQueue;
  /** Aurora Serverless v2, when the stack created it. */
  aurora?: { clusterIdentifier: string; maxCapacity: number };
  /** Each stack's composite alarm over its functions' alarms (lib/constructs/live-aliases.construct.ts). */
  functionAlarms: cloudwatch.IAlarm[];
}

/** `{ service: <domain> }`: the dimension every Powertools metric of a domain's functions carries. */
const service = (domain: string) => ({ service: domain });

/**
 * Operations for one stage: the alarm topic (email and HTTPS subscriptions from context), the alarms, one
 * composite alarm for paging, the dashboard (a section per domain, derived from the manifest: per-function
 * errors, throttles, duration and cold starts, the domain's outcome counts, state machines, and the business
 * figures the domain declares in `metrics`), and the optional WAF web ACL on the REST stage.
 *
 * Two steps: the constructor creates the topic and the REST 5xx alarm, which the functions' deployment groups
 * roll back on, before the functions exist; `complete()` adds the rest once every stack is built.
 */
export class StageOperations extends Construct {
  readonly topic: sns.Topic;
  readonly api5xx: cloudwatch.Alarm;
  readonly alarms: cloudwatch.Alarm[] = [];
  dashboard: cloudwatch.Dashboard | undefined;
  page: cloudwatch.CompositeAlarm | undefined;
  webAcl: wafv2.CfnWebACL | undefined;
  private readonly props: OperationsProps;

  constructor(scope: Construct, id: string, props: OperationsProps & { restApiName: string }) {
    super(scope, id);
    this.props = props;
    // A key of its own: CloudWatch cannot publish to a topic encrypted with the AWS managed SNS key.
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: `${props.prefix} alarm topic`,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    key.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.topic = new sns.Topic(this, 'AlarmTopic', {
      topicName: `${props.prefix}-alarms`,
      displayName: `${props.prefix} alarms`,
      masterKey: key,
      enforceSSL: true,
    });
    for (const email of props.settings.alarmEmails) this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    for (const url of props.settings.alarmHttpsUrls)
      this.topic.addSubscription(new subscriptions.UrlSubscription(url, { protocol: sns.SubscriptionProtocol.HTTPS }));

    const rest = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/ApiGateway',
        metricName,
        dimensionsMap: { ApiName: props.restApiName, Stage: props.stage },
        statistic: 'Sum',
        period: FIVE_MINUTES,
      });
    this.api5xx = this.alarm('Api5xx', {
      name: 'rest-5xx-rate',
      description: 'REST answers with 5xx status reached the threshold percentage of requests in 5 minutes',
      metric: new cloudwatch.MathExpression({
        expression: 'IF(requests > 0, 100 * errors / requests, 0)',
        usingMetrics: { requests: rest('Count'), errors: rest('5XXError') },
        period: FIVE_MINUTES,
        label: 'REST 5xx %',
      }),
      threshold: props.settings.thresholds.alarmApi5xxPercent!,
    });
  }

  private alarm(
    id: string,
    spec: { name: string; description: string; metric: cloudwatch.IMetric; threshold: number; evaluationPeriods?: number },
  ): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmName: `${this.props.prefix}-${spec.name}`,
      alarmDescription: `${spec.description} (docs/operations.md, "${spec.name}")`,
      metric: spec.metric,
      threshold: spec.threshold,
      evaluationPeriods: spec.evaluationPeriods ?? 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.alarms.push(alarm);
    return alarm;
  }

  /** A metric the functions emit (Powertools: this stage's namespace, `service` = the domain). */
  private emitted(name: string, dimensions: Record<string, string>, statistic = 'Sum', label?: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.props.namespace,
      metricName: name,
      dimensionsMap: dimensions,
      statistic,
      period: FIVE_MINUTES,
      ...(label ? { label } : {}),
    });
  }

  complete(w: OperationsWiring): void {
    const { prefix, settings } = this.props;
    const stack = Stack.of(this);
    const t = settings.thresholds;
    const domains = w.manifest.domains;
    const allSpecs = (d: DomainManifest): FunctionSpec[] => [
      ...(d.domain === 'platform' ? [w.manifest.authorizer] : []),
      ...d.functions,
      ...d.systemFunctions,
    ];
    const functionName = (spec: FunctionSpec) => `${prefix}-${spec.name}`;
    const machineArn = (name: string) =>
      stack.formatArn({ service: 'states', resource: 'stateMachine', resourceName: `${prefix}-${name}`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const states = (metricName: string, name: string, statistic = 'Sum') =>
      new cloudwatch.Metric({
        namespace: 'AWS/States',
        metricName,
        dimensionsMap: { StateMachineArn: machineArn(name) },
        statistic,
        period: FIVE_MINUTES,
      });
    const lambdaMetric = (metricName: string, spec: FunctionSpec, statistic = 'Sum') =>
      new cloudwatch.Metric({
        namespace: 'AWS/Lambda',
        metricName,
        dimensionsMap: { FunctionName: functionName(spec) },
        statistic,
        period: FIVE_MINUTES,
        label: spec.name,
      });

    // Alarms of the stage (the functions' own are in each stack's LiveAliases).
    for (const machine of domains.flatMap((d) => d.stateMachines)) {
      this.alarm(`FailedExecutions${machine.name}`, {
        name: `${machine.name}-failed-executions`,
        description: `Executions of the ${machine.name} state machine failed, timed out or were aborted`,
        metric: new cloudwatch.MathExpression({
          expression: 'failed + timedOut + aborted',
          usingMetrics: {
            failed: states('ExecutionsFailed', machine.name),
            timedOut: states('ExecutionsTimedOut', machine.name),
            aborted: states('ExecutionsAborted', machine.name),
          },
          period: FIVE_MINUTES,
        }),
        threshold: t.alarmFailedExecutions!,
      });
    }
    this.alarm('DeadLetters', {
      name: 'dead-letters',
      description: 'Failed asynchronous invocations (scheduled functions) are waiting in the dead-letter queue',
      metric: w.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' }),
      threshold: t.alarmDeadLetterMessages!,
    });
    if (w.aurora) {
      this.alarm('AuroraAtMax', {
        name: 'aurora-at-max-capacity',
        description: 'Aurora Serverless v2 has run at (nearly) its maximum capacity for 15 minutes',
        metric: new cloudwatch.Metric({
          namespace: 'AWS/RDS',
          metricName: 'ServerlessDatabaseCapacity',
          dimensionsMap: { DBClusterIdentifier: w.aurora.clusterIdentifier },
          statistic: 'Maximum',
          period: FIVE_MINUTES,
        }),
        threshold: w.aurora.maxCapacity * t.alarmAuroraCapacityFraction!,
        evaluationPeriods: 3,
      });
    }
    const [firstTable, ...otherTables] = Object.entries(w.tables) as Array<[TableName, dynamodb.ITable]>;
    if (firstTable) {
      const throttleMetrics: Record<string, cloudwatch.IMetric> = {};
      for (const [i, [, table]] of [firstTable, ...otherTables].entries()) {
        for (const kind of ['Read', 'Write']) {
          throttleMetrics[`${kind.toLowerCase()}${i}`] = new cloudwatch.Metric({
            namespace: 'AWS/DynamoDB',
            metricName: `${kind}ThrottleEvents`,
            dimensionsMap: { TableName: table.tableName },
            statistic: 'Sum',
            period: FIVE_MINUTES,
          });
        }
      }
      this.alarm('DynamoThrottles', {
        name: 'dynamodb-throttles',
        description: 'DynamoDB throttled reads or writes of the stage tables',
        metric: new cloudwatch.MathExpression({
          expression: Object.keys(throttleMetrics).join(' + '),
          usingMetrics: throttleMetrics,
          period: FIVE_MINUTES,
        }),
        threshold: t.alarmDynamoThrottles!,
      });
    }
    // Audit entries and events that could not be written, summed over the domains whose functions write them.
    for (const [metric, writes] of [
      ['AuditWriteFailed', (d: DomainManifest) => d.functions.some((f) => f.http?.some(isAudited))],
      ['EventPublishFailed', (d: DomainManifest) => allSpecs(d).some((f) => f.access.eventBus)],
    ] as const) {
      const writers = domains.filter(writes);
      if (writers.length === 0) continue;
      const usingMetrics = Object.fromEntries(writers.map((d, i) => [`d${i}`, this.emitted(metric, service(d.domain))]));
      this.alarm(metric, {
        name: metric === 'AuditWriteFailed' ? 'audit-write-failures' : 'event-publish-failures',
        description:
          metric === 'AuditWriteFailed'
            ? 'Audit entries could not be written to PostgreSQL (the calls themselves were served)'
            : 'Events could not be put on the stage event bus',
        metric: new cloudwatch.MathExpression({ expression: Object.keys(usingMetrics).join(' + '), usingMetrics, period: FIVE_MINUTES }),
        threshold: t.alarmAuditWriteFailures!,
      });
    }
    // The domains' own alarms, from their manifests.
    for (const domain of domains) {
      for (const metric of domain.metrics ?? []) {
        if (!metric.alarm) continue;
        this.alarm(`Domain${metric.name}`, {
          name: metric.alarm.context.replace(/^alarm/, '').replace(/[A-Z]/g, (c, i: number) => `${i > 0 ? '-' : ''}${c.toLowerCase()}`),
          description: metric.alarm.description,
          metric: this.emitted(metric.name, service(domain.domain), metric.statistic),
          threshold: t[metric.alarm.context] ?? metric.alarm.default,
        });
      }
    }

    // Paging: one composite alarm per stage, the only one with an action.
    this.page = new cloudwatch.CompositeAlarm(this, 'Page', {
      compositeAlarmName: `${prefix}-page`,
      alarmDescription: `${prefix}: something needs a person (the triggering alarm is named in the notification; docs/operations.md)`,
      alarmRule: cloudwatch.AlarmRule.anyOf(
        ...[...this.alarms, ...w.functionAlarms].map((a) => cloudwatch.AlarmRule.fromAlarm(a, cloudwatch.AlarmState.ALARM)),
      ),
    });
    this.page.addAlarmAction(new actions.SnsAction(this.topic));
    this.page.addOkAction(new actions.SnsAction(this.topic));

    this.dashboard = this.buildDashboard(w, { functionName, states, lambdaMetric, allSpecs });

    if (settings.waf) this.webAcl = this.protect(w.restStageArn);
  }

  private buildDashboard(
    w: OperationsWiring,
    h: {
      functionName: (spec: FunctionSpec) => string;
      states: (metricName: string, name: string, statistic?: string) => cloudwatch.Metric;
      lambdaMetric: (metricName: string, spec: FunctionSpec, statistic?: string) => cloudwatch.Metric;
      allSpecs: (d: DomainManifest) => FunctionSpec[];
    },
  ): cloudwatch.Dashboard {
    const { prefix, stage } = this.props;
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: prefix,
      defaultInterval: Duration.hours(3),
      periodOverride: cloudwatch.PeriodOverride.AUTO,
    });
    const graph = (title: string, left: cloudwatch.IMetric[], width = 8, right?: cloudwatch.IMetric[]) =>
      new cloudwatch.GraphWidget({ title, left, ...(right ? { right } : {}), width, height: 6 });
    const apiGateway = (metricName: string, dimensionsMap: Record<string, string>, statistic = 'Sum', label?: string) =>
      new cloudwatch.Metric({ namespace: 'AWS/ApiGateway', metricName, dimensionsMap, statistic, period: FIVE_MINUTES, ...(label ? { label } : {}) });
    const restDims = { ApiName: w.restApiName, Stage: stage };
    const wsDims = { ApiId: w.webSocketApiId, Stage: stage };

    dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# ${prefix}\nAlarms page through the composite \`${prefix}-page\` (topic \`${prefix}-alarms\`); what each means and what to do: docs/operations.md.`,
        width: 24,
        height: 2,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...this.alarms, ...(this.page ? [this.page] : [])], width: 24, height: 4 }),
    );
    dashboard.addWidgets(
      graph('REST requests, 4xx, 5xx', [
        apiGateway('Count', restDims, 'Sum', 'requests'),
        apiGateway('4XXError', restDims, 'Sum', '4xx'),
        apiGateway('5XXError', restDims, 'Sum', '5xx'),
      ]),
      graph('REST latency (ms)', [apiGateway('Latency', restDims, 'p50', 'p50'), apiGateway('Latency', restDims, 'p99', 'p99')]),
      graph(
        'WebSocket connections, messages, errors',
        [apiGateway('ConnectCount', wsDims, 'Sum', 'connects'), apiGateway('MessageCount', wsDims, 'Sum', 'messages')],
        8,
        [apiGateway('ClientError', wsDims, 'Sum', 'client errors'), apiGateway('ExecutionError', wsDims, 'Sum', 'execution errors')],
      ),
    );
    dashboard.addWidgets(
      graph(
        'WebSocket latency (ms)',
        [apiGateway('IntegrationLatency', wsDims, 'p50', 'p50'), apiGateway('IntegrationLatency', wsDims, 'p99', 'p99')],
        8,
      ),
      graph(
        'DynamoDB throttles',
        Object.entries(w.tables).flatMap(([name, table]) =>
          ['Read', 'Write'].map(
            (kind) =>
              new cloudwatch.Metric({
                namespace: 'AWS/DynamoDB',
                metricName: `${kind}ThrottleEvents`,
                dimensionsMap: { TableName: table.tableName },
                statistic: 'Sum',
                period: FIVE_MINUTES,
                label: `${name} ${kind.toLowerCase()}`,
              }),
          ),
        ),
      ),
      graph('Dead-letter queue', [w.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' })]),
    );
    if (w.aurora) {
      const rds = (metricName: string, statistic = 'Maximum') =>
        new cloudwatch.Metric({
          namespace: 'AWS/RDS',
          metricName,
          dimensionsMap: { DBClusterIdentifier: w.aurora!.clusterIdentifier },
          statistic,
          period: FIVE_MINUTES,
        });
      dashboard.addWidgets(
        graph('Aurora capacity (ACU)', [rds('ServerlessDatabaseCapacity')], 12),
        graph('Aurora connections', [rds('DatabaseConnections')], 12),
      );
    }

    for (const domain of w.manifest.domains) {
      const specs = h.allSpecs(domain);
      const dims = service(domain.domain);
      dashboard.addWidgets(new cloudwatch.TextWidget({ markdown: `## ${domain.domain}`, width: 24, height: 1 }));
      const outcomes: cloudwatch.IMetric[] = [];
      if (domain.functions.some((f) => f.http?.length)) {
        for (const name of ['Success', 'ClientError', 'ServerError']) outcomes.push(this.emitted(name, dims, 'Sum', `HTTP ${name}`));
      }
      if (domain.functions.some((f) => f.websocket?.length)) {
        for (const name of ['WebSocketEvent', 'WebSocketEventFailed']) outcomes.push(this.emitted(name, dims, 'Sum', name));
      }
      const taskNames = new Set([
        ...domain.stateMachines.flatMap((m) => Object.values(m.tasks)),
        ...domain.systemFunctions.filter((f) => f.schedule).map((f) => f.name),
      ]);
      if (taskNames.size > 0) for (const name of ['TaskSucceeded', 'TaskFailed']) outcomes.push(this.emitted(name, dims, 'Sum', name));
      const widgets: cloudwatch.IWidget[] = [];
      if (outcomes.length > 0) widgets.push(graph('Outcomes', outcomes, 6));
      widgets.push(
        graph(
          'Errors per function',
          specs.map((s) => h.lambdaMetric('Errors', s)),
          6,
        ),
        graph(
          'Throttles per function',
          specs.map((s) => h.lambdaMetric('Throttles', s)),
          6,
        ),
        graph(
          'Duration p99 per function (ms)',
          specs.map((s) => h.lambdaMetric('Duration', s, 'p99')),
          6,
        ),
        graph(
          'Cold starts per function',
          specs.map((s) => this.emitted('ColdStart', { ...dims, function_name: h.functionName(s) }, 'Sum', s.name)),
          6,
        ),
      );
      for (const machine of domain.stateMachines) {
        widgets.push(
          graph(
            `${machine.name} executions`,
            ['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut'].map((m) => h.states(m, machine.name)),
            6,
            [h.states('ExecutionTime', machine.name, 'p99')],
          ),
        );
      }
      for (const metric of domain.metrics ?? []) {
        const line = metric.by?.length
          ? // One line per value of the further dimensions (tenant, model, ...): a search over what was emitted.
            new cloudwatch.MathExpression({
              expression: `SEARCH('{${this.props.namespace},service,${metric.by.join(',')}} MetricName="${metric.name}" service="${domain.domain}"', '${metric.statistic}', 300)`,
              usingMetrics: {},
              label: '',
              period: FIVE_MINUTES,
            })
          : this.emitted(metric.name, dims, metric.statistic, metric.title);
        widgets.push(graph(metric.title, [line], 6));
      }
      dashboard.addWidgets(...widgets);
    }
    return dashboard;
  }

  /** The optional web ACL: AWS managed rule groups and a per-IP rate limit, on the REST stage. */
  private protect(restStageArn: string): wafv2.CfnWebACL {
    const { prefix, settings } = this.props;
    const visibility = (name: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      metricName: `${prefix}-${name}`,
      sampledRequestsEnabled: true,
    });
    // Rules that inspect bodies are counted, not enforced: bodies here are code, prompts and documents (up to
    // 256 KiB, functions/shared/http.ts), which trip size, XSS, LFI/RFI and RCE patterns by their nature. The
    // handlers validate every body themselves; the counts stay visible in the ACL's metrics.
    const countOnly: Record<string, string[]> = {
      AWSManagedRulesCommonRuleSet: [
        'SizeRestrictions_BODY',
        'CrossSiteScripting_BODY',
        'GenericLFI_BODY',
        'GenericRFI_BODY',
        'EC2MetaDataSSRF_BODY',
      ],
      AWSManagedRulesKnownBadInputsRuleSet: ['Log4JRCE_BODY', 'JavaDeserializationRCE_BODY'],
    };
    const managed = (name: string, priority: number): wafv2.CfnWebACL.RuleProperty => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: {
        managedRuleGroupStatement: {
          vendorName: 'AWS',
          name,
          ...(countOnly[name] ? { ruleActionOverrides: countOnly[name].map((rule) => ({ name: rule, actionToUse: { count: {} } })) } : {}),
        },
      },
      visibilityConfig: visibility(name),
    });
    const acl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: `${prefix}-rest`,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      description: `${prefix} REST API: AWS managed rules and a per-IP rate limit`,
      visibilityConfig: visibility('web-acl'),
      rules: [
        {
          name: 'rate-per-ip',
          priority: 0,
          action: { block: {} },
          statement: { rateBasedStatement: { limit: settings.wafRateLimit, aggregateKeyType: 'IP' } },
          visibilityConfig: visibility('rate-per-ip'),
        },
        managed('AWSManagedRulesAmazonIpReputationList', 1),
        managed('AWSManagedRulesCommonRuleSet', 2),
        managed('AWSManagedRulesKnownBadInputsRuleSet', 3),
      ],
    });
    new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', { resourceArn: restStageArn, webAclArn: acl.attrArn });
    return acl;
  }
}
