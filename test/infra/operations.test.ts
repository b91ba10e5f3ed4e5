/**
 * Operations, synthesized once with everything switched on (canary deploys, WAF, alarm subscriptions, custom
 * thresholds and throttling): the dashboard (and that every metric it shows is one the code emits), the
 * alarms, the paging composite and its topic, live aliases targeted by every caller, deployment groups rolling
 * back on alarms, the WAF association, stage throttling, the event bus and who may put events on it, cdk-nag.
 * The allAtOnce default (no CodeDeploy) is checked on a small stack of its own.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifest as platformManifest } from '#functions/manifest.ts';
import { allFunctionSpecs, isAudited, pascalName } from '#shared/manifest.types.ts';
import { metricsNamespace } from '#shared/resources.ts';
import { LiveAliases } from '../../lib/constructs/live-aliases.construct.ts';
import { readOperationsSettings } from '../../lib/operations-context.ts';
import { PROJECT_ROOT } from '../../lib/platform-app.ts';
import { lambdaByName, manifest, synthesize, type Synthesized } from './synth.ts';

const STAGE = 'ops';
const NAMESPACE = metricsNamespace(STAGE);
let synth: Synthesized;

beforeAll(() => {
  synth = synthesize({
    stage: STAGE,
    deployment: 'canary',
    waf: 'true',
    wafRateLimit: '500',
    apiThrottleRate: '50',
    apiThrottleBurst: '75',
    alarmEmail: 'oncall@example.com,lead@example.com',
    alarmHttpsUrl: 'https://events.pagerduty.example/integration/abc',
    alarmApi5xxPercent: '2',
    alarmN8nSyncLagSeconds: '600',
  });
});
afterAll(() => synth?.cleanup());

type Resources = Record<string, { Type: string; Properties: Record<string, any>; DependsOn?: string[] }>;
const all = (type: string) => Object.entries(synth.template.findResources(type) as Resources);
const specs = () => allFunctionSpecs(manifest);

describe('cdk-nag', () => {
  it('AwsSolutions reports no unacknowledged finding with everything on', () => {
    expect(synth.nagFindings).toEqual([]);
  });

  it('keeps every stack under 400 resources with aliases, alarms and deployment groups, and prints the counts', () => {
    const counts = [['parent', synth.parent] as const, ...synth.domains].map(
      ([name, t]) => [name, Object.keys(t.toJSON().Resources).length] as const,
    );
    console.log(`resources per stack (canary, waf): ${counts.map(([name, n]) => `${name} ${n}`).join(', ')}`);
    for (const [name, n] of counts) expect(`${name}: ${n}`).toBe(`${name}: ${Math.min(n, 399)}`);
  });
});

describe('the dashboard', () => {
  const body = (): { widgets: Array<{ type: string; properties: Record<string, any> }> } => {
    const [, dashboard] = all('AWS::CloudWatch::Dashboard')[0]!;
    // The body is an Fn::Join of strings and tokens; the tokens (ARNs, ids) are replaced by a placeholder.
    const parts = dashboard.Properties.DashboardBody['Fn::Join'][1] as unknown[];
    return JSON.parse(parts.map((p) => (typeof p === 'string' ? p : 'TOKEN')).join(''));
  };
  /** Every metric a widget draws: [namespace, name, {dimension: value}] or a SEARCH expression. */
  const drawn = () => {
    const metrics: Array<{ namespace: string; name: string; dimensions: Record<string, string> }> = [];
    const searches: string[] = [];
    for (const widget of body().widgets) {
      for (const line of widget.properties.metrics ?? []) {
        const spec = line as unknown[];
        const options = (typeof spec.at(-1) === 'object' ? spec.at(-1) : {}) as { expression?: string };
        if (options.expression) {
          if (options.expression.startsWith('SEARCH(')) searches.push(options.expression);
          continue;
        }
        const [namespace, name, ...rest] = spec.filter((s) => typeof s === 'string') as string[];
        const dimensions: Record<string, string> = {};
        for (let i = 0; i + 1 < rest.length; i += 2) dimensions[rest[i]!] = rest[i + 1]!;
        metrics.push({ namespace: namespace!, name: name!, dimensions });
      }
    }
    return { metrics, searches };
  };

  it('has a section per domain with per-function errors, throttles, duration and cold starts', () => {
    const widgets = body().widgets;
    const text = widgets.filter((w) => w.type === 'text').map((w) => w.properties.markdown as string);
    for (const domain of platformManifest.domains) expect(text).toContain(`## ${domain.domain}`);
    const { metrics } = drawn();
    for (const spec of specs()) {
      const fn = `mls-${STAGE}-${spec.name}`;
      for (const name of ['Errors', 'Throttles', 'Duration']) {
        expect(metrics, `${name} of ${fn}`).toContainEqual({ namespace: 'AWS/Lambda', name, dimensions: { FunctionName: fn } });
      }
      expect(metrics).toContainEqual({ namespace: NAMESPACE, name: 'ColdStart', dimensions: { service: spec.domain, function_name: fn } });
    }
  });

  it('shows API requests, 4xx, 5xx and latency (REST and WebSocket), state machines, tables and the business figures', () => {
    const { metrics, searches } = drawn();
    const names = (namespace: string) => new Set(metrics.filter((m) => m.namespace === namespace).map((m) => m.name));
    expect([...names('AWS/ApiGateway')]).toEqual(
      expect.arrayContaining(['Count', '4XXError', '5XXError', 'Latency', 'ConnectCount', 'MessageCount', 'IntegrationLatency']),
    );
    expect([...names('AWS/States')]).toEqual(
      expect.arrayContaining(['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionTime']),
    );
    expect([...names('AWS/DynamoDB')]).toEqual(expect.arrayContaining(['ReadThrottleEvents', 'WriteThrottleEvents']));
    expect([...names('AWS/RDS')]).toEqual(expect.arrayContaining(['ServerlessDatabaseCapacity', 'DatabaseConnections']));
    expect([...names(NAMESPACE)]).toEqual(expect.arrayContaining(['N8nSyncLagSeconds', 'N8nAlertsFired', 'AuthorizerDenied']));
    expect(searches.join('\n')).toContain(`{${NAMESPACE},service,tenantId,model} MetricName="ModelTokens"`);
    expect(searches.join('\n')).toContain(`{${NAMESPACE},service,tenantId,model,status} MetricName="ExecutionsFinished"`);
  });

  /**
   * The metrics the code emits, read off the code: names from `addMetric('X'` and the base stack's
   * `outcome: { success: 'X', failure: 'Y' }`, ColdStart where cold starts are captured; dimensions: `service`
   * on every one, plus the keys of `addDimensions({...})` in the same file.
   */
  const emitted = (): Map<string, Set<string>[]> => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir)) {
        const full = path.join(dir, entry);
        if (statSync(full).isDirectory()) walk(full);
        else if (full.endsWith('.ts')) files.push(full);
      }
    };
    walk(path.join(PROJECT_ROOT, 'functions'));
    const found = new Map<string, Set<string>[]>();
    const add = (name: string, dims: Set<string>) => found.set(name, [...(found.get(name) ?? []), dims]);
    for (const file of files) {
      const code = readFileSync(file, 'utf8');
      const extra = [...code.matchAll(/addDimensions\(\{([^}]*)\}/g)].flatMap((m) => [...m[1]!.matchAll(/(\w+)\s*:/g)].map((k) => k[1]!));
      const dims = new Set(['service', ...extra]);
      for (const m of code.matchAll(/addMetric\(\s*'(\w+)'/g)) add(m[1]!, dims);
      for (const m of code.matchAll(/outcome:\s*\{\s*success:\s*'(\w+)',\s*failure:\s*'(\w+)'/g)) {
        add(m[1]!, new Set(['service']));
        add(m[2]!, new Set(['service']));
      }
      if (/captureColdStartMetric:\s*true/.test(code)) add('ColdStart', new Set(['service', 'function_name']));
    }
    return found;
  };

  it('shows only metrics that some code path emits (namespace, name and dimensions)', () => {
    const code = emitted();
    const { metrics, searches } = drawn();
    const problems: string[] = [];
    const check = (name: string, dimensions: string[]) => {
      const ways = code.get(name);
      if (!ways) problems.push(`${name}: no code emits it`);
      else if (!ways.some((dims) => dimensions.every((d) => dims.has(d)) && dimensions.includes('service')))
        problems.push(`${name} with dimensions ${dimensions.join(',')}: emitted only with ${ways.map((d) => [...d].join(',')).join(' | ')}`);
    };
    const custom = metrics.filter((m) => !m.namespace.startsWith('AWS/'));
    expect(custom.length).toBeGreaterThan(50);
    for (const m of custom) {
      if (m.namespace !== NAMESPACE) problems.push(`${m.name}: namespace ${m.namespace}, the functions emit into ${NAMESPACE}`);
      check(m.name, Object.keys(m.dimensions));
    }
    for (const search of searches) {
      const [, namespace, dims, name] = search.match(/\{([^,]+),([^}]+)\} MetricName="(\w+)"/) ?? [];
      if (namespace !== NAMESPACE) problems.push(`${search}: namespace ${namespace}`);
      check(name!, dims!.split(','));
    }
    expect(problems).toEqual([]);
  });

  it('gives the functions the namespace the dashboard reads', () => {
    for (const [, fn] of lambdaByName(synth.template, STAGE)) {
      expect(fn.props.Environment.Variables.POWERTOOLS_METRICS_NAMESPACE).toBe(NAMESPACE);
    }
  });
});

describe('alarms', () => {
  const alarmNamed = (name: string) => all('AWS::CloudWatch::Alarm').find(([, a]) => a.Properties.AlarmName === `mls-${STAGE}-${name}`)?.[1];

  it('alarms on API 5xx rate, failed executions, dead letters, Aurora at max, DynamoDB throttles, n8n sync lag, authorizer denials and audit writes', () => {
    for (const name of [
      'rest-5xx-rate',
      'agent-failed-executions',
      'echo-failed-executions',
      'dead-letters',
      'aurora-at-max-capacity',
      'dynamodb-throttles',
      'n8n-sync-lag-seconds',
      'authorizer-denials',
      'audit-write-failures',
      'event-publish-failures',
    ]) {
      expect(alarmNamed(name), name).toBeDefined();
    }
    // Thresholds from context, else the defaults.
    expect(alarmNamed('rest-5xx-rate')!.Properties.Threshold).toBe(2);
    expect(alarmNamed('n8n-sync-lag-seconds')!.Properties.Threshold).toBe(600);
    expect(alarmNamed('authorizer-denials')!.Properties.Threshold).toBe(100);
    expect(alarmNamed('n8n-sync-lag-seconds')!.Properties).toMatchObject({
      Namespace: NAMESPACE,
      MetricName: 'N8nSyncLagSeconds',
      Statistic: 'Maximum',
      Dimensions: [{ Name: 'service', Value: 'n8n-monitor' }],
    });
  });

  it('alarms on every function (errors plus throttles of its live alias)', () => {
    for (const spec of specs()) {
      const alarm = alarmNamed(`${spec.name}-errors`);
      expect(alarm, spec.name).toBeDefined();
      const expression = (alarm!.Properties.Metrics as Array<{ Expression?: string }>).find((m) => m.Expression)?.Expression;
      expect(expression).toBe('errors + throttles');
    }
  });

  it('pages through one composite alarm per stage, wired to the topic with email and HTTPS subscriptions from context', () => {
    const composites = all('AWS::CloudWatch::CompositeAlarm');
    const page = composites.find(([, c]) => c.Properties.AlarmName === `mls-${STAGE}-page`);
    expect(page).toBeDefined();
    const [topicId] = Object.keys(synth.parent.findResources('AWS::SNS::Topic', { Properties: { TopicName: `mls-${STAGE}-alarms` } }));
    expect(page![1].Properties.AlarmActions).toEqual([{ Ref: topicId }]);
    // Every alarm of the stage, and each stack's "any function" composite, is in the rule.
    const rule = JSON.stringify(page![1].Properties.AlarmRule);
    const stageAlarms = Object.entries(synth.parent.findResources('AWS::CloudWatch::Alarm') as Resources).filter(
      ([, a]) => !String(a.Properties.AlarmName).endsWith('-errors'),
    );
    expect(stageAlarms.length).toBeGreaterThanOrEqual(10);
    for (const [id] of stageAlarms) expect(rule).toContain(`"${id}"`);
    for (const domain of platformManifest.domains.filter((d) => d.domain !== 'platform')) {
      expect(rule).toContain(`Live${pascalName(domain.domain)}AnyFunction`);
    }
    expect(composites.filter(([, c]) => String(c.Properties.AlarmName).endsWith('-functions'))).toHaveLength(platformManifest.domains.length);
    // Only the composite notifies: no single alarm pages on its own.
    for (const [, alarm] of all('AWS::CloudWatch::Alarm')) expect(alarm.Properties.AlarmActions).toBeUndefined();
    synth.parent.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
    synth.parent.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'lead@example.com' });
    synth.parent.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'https', Endpoint: 'https://events.pagerduty.example/integration/abc' });
    // Encrypted with a key CloudWatch may use (it cannot publish to the AWS managed SNS key).
    synth.parent.hasResourceProperties('AWS::SNS::Topic', { TopicName: `mls-${STAGE}-alarms`, KmsMasterKeyId: Match.anyValue() });
  });
});

describe('safe deploys', () => {
  it('gives every function a live alias, and a canary deployment group rolling back on its alarm and the API 5xx alarm', () => {
    const aliases = all('AWS::Lambda::Alias');
    expect(aliases).toHaveLength(specs().length);
    for (const [, alias] of aliases) expect(alias.Properties.Name).toBe('live');
    const groups = all('AWS::CodeDeploy::DeploymentGroup');
    expect(groups).toHaveLength(specs().length);
    for (const [, group] of groups) {
      expect(group.Properties.DeploymentConfigName).toBe('CodeDeployDefault.LambdaCanary10Percent5Minutes');
      expect(group.Properties.AutoRollbackConfiguration).toEqual({
        Enabled: true,
        Events: expect.arrayContaining(['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM']),
      });
      expect(group.Properties.AlarmConfiguration.Enabled).toBe(true);
      expect(group.Properties.AlarmConfiguration.Alarms).toHaveLength(2);
    }
  });

  it('points every API integration, the authorizers, state machine tasks and schedules at the aliases', () => {
    const aliasIds = new Set(all('AWS::Lambda::Alias').map(([id]) => id));
    const isAlias = (value: unknown): boolean =>
      JSON.stringify(value)
        .match(/"Ref":"([^"]+)"/g)
        ?.some((r) => aliasIds.has(r.slice(7, -1))) ?? false;
    // REST methods: `.../functions/<alias ARN>/invocations` (the alias is a Ref; nested stacks pass no function ARN).
    const methods = all('AWS::ApiGateway::Method').filter(([, m]) => m.Properties.HttpMethod !== 'OPTIONS');
    expect(methods.length).toBeGreaterThan(50);
    for (const [id, method] of methods) expect(isAlias(method.Properties.Integration.Uri), id).toBe(true);
    for (const [id, integration] of all('AWS::ApiGatewayV2::Integration')) expect(isAlias(integration.Properties.IntegrationUri), id).toBe(true);
    for (const [id, authorizer] of all('AWS::ApiGateway::Authorizer')) expect(isAlias(authorizer.Properties.AuthorizerUri), id).toBe(true);
    for (const [id, machine] of all('AWS::StepFunctions::StateMachine')) {
      const substitutions = Object.values(machine.Properties.DefinitionSubstitutions ?? {});
      expect(substitutions.length, id).toBeGreaterThan(0);
      for (const value of substitutions) expect(isAlias(value), id).toBe(true);
    }
    for (const [id, rule] of all('AWS::Events::Rule')) {
      for (const target of rule.Properties.Targets) expect(isAlias(target.Arn), id).toBe(true);
    }
  });

  it('creates no CodeDeploy resources for allAtOnce, only aliases and alarms', () => {
    const stack = new Stack();
    const fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler=1'),
    });
    const rollback = new cloudwatch.Alarm(stack, 'Rollback', { metric: fn.metricErrors(), threshold: 1, evaluationPeriods: 1 });
    new LiveAliases(stack, 'Live', {
      deployment: 'allAtOnce',
      errorsThreshold: 3,
      rollbackAlarms: [rollback],
      functions: new Map([['fn', fn]]),
      prefix: 'mls-x',
      group: 'g',
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CodeDeploy::DeploymentGroup', 0);
    template.resourceCountIs('AWS::CodeDeploy::Application', 0);
    template.resourceCountIs('AWS::Lambda::Alias', 1);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'mls-x-fn-errors', Threshold: 3 });
  });
});

describe('edge protection', () => {
  it('associates a web ACL with managed rule groups and a per-IP rate rule with the REST stage', () => {
    const [, acl] = all('AWS::WAFv2::WebACL')[0]!;
    expect(acl.Properties.Scope).toBe('REGIONAL');
    const rules = acl.Properties.Rules as Array<Record<string, any>>;
    expect(rules.find((r) => r.Name === 'rate-per-ip')!.Statement.RateBasedStatement).toEqual({ Limit: 500, AggregateKeyType: 'IP' });
    expect(rules.map((r) => r.Statement.ManagedRuleGroupStatement?.Name).filter(Boolean)).toEqual(
      expect.arrayContaining(['AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet', 'AWSManagedRulesAmazonIpReputationList']),
    );
    const [, association] = all('AWS::WAFv2::WebACLAssociation')[0]!;
    const [stageId] = Object.keys(synth.parent.findResources('AWS::ApiGateway::Stage'));
    expect(association.Properties.ResourceArn['Fn::Join'][1]).toEqual(expect.arrayContaining(['/stages/', { Ref: stageId }]));
    expect(association.Properties.WebACLArn).toEqual({ 'Fn::GetAtt': [all('AWS::WAFv2::WebACL')[0]![0], 'Arn'] });
  });

  it('throttles the REST and WebSocket stages as context says', () => {
    synth.parent.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([Match.objectLike({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 75 })]),
    });
    synth.parent.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: Match.objectLike({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 75 }),
    });
  });

  it('reads operations context with defaults and refuses values it cannot use', () => {
    const none = readOperationsSettings(() => undefined);
    expect(none).toMatchObject({
      deployment: 'allAtOnce',
      waf: false,
      wafRateLimit: 2000,
      throttle: { rateLimit: 100, burstLimit: 200 },
      alarmEmails: [],
    });
    expect(() => readOperationsSettings((k) => (k === 'deployment' ? 'bluegreen' : undefined))).toThrow(/deployment/);
    expect(() => readOperationsSettings((k) => (k === 'alarmHttpsUrl' ? 'http://plain' : undefined))).toThrow(/alarmHttpsUrl/);
    expect(() => readOperationsSettings((k) => (k === 'apiThrottleRate' ? 'fast' : undefined))).toThrow(/apiThrottleRate/);
  });
});

describe('the event bus', () => {
  it('is one per stage, and exactly the functions whose manifest access says eventBus may put events on it', () => {
    synth.parent.hasResourceProperties('AWS::Events::EventBus', { Name: `mls-${STAGE}-events` });
    const functions = lambdaByName(synth.template, STAGE);
    for (const spec of specs()) {
      const fn = functions.get(spec.name)!;
      const hasBus = 'EVENT_BUS_NAME' in (fn.props.Environment.Variables ?? {});
      expect(`${spec.name} ${hasBus}`).toBe(`${spec.name} ${Boolean(spec.access.eventBus)}`);
      const roleId = fn.props.Role['Fn::GetAtt'][0];
      const statements = Object.values(synth.template.findResources('AWS::IAM::Policy') as Resources)
        .filter((p) => (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleId))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>);
      expect(`${spec.name} ${statements.some((s) => [s.Action].flat().includes('events:PutEvents'))}`).toBe(
        `${spec.name} ${Boolean(spec.access.eventBus)}`,
      );
    }
    // Every audited route's function writes audit events.
    for (const spec of manifest.functions.filter((f) => f.http?.some(isAudited))) expect(spec.access.eventBus, spec.name).toBe(true);
  });
});
