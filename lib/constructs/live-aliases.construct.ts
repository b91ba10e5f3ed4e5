import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { DeploymentMode } from '../operations-context.ts';
import { acknowledge } from '../nag.ts';

/** The alias every caller invokes (API Gateway, the authorizer, state machine tasks, schedules). */
export const LIVE_ALIAS = 'live';

export interface SafeDeploys {
  deployment: DeploymentMode;
  /** A function's errors plus throttles over 5 minutes that fire its alarm. */
  errorsThreshold: number;
  /** Stage alarms that also roll a deployment back (the REST 5xx rate); CDK passes them into nested stacks. */
  rollbackAlarms: cloudwatch.IAlarm[];
}

export interface LiveAliasesProps extends SafeDeploys {
  /** Manifest function name -> function. */
  functions: Map<string, lambda.Function>;
  /** `mls-<stage>`: alarm names are `<prefix>-<function>-errors`. */
  prefix: string;
  /** Names this stack's composite alarm, `<prefix>-<group>-functions`. */
  group: string;
}

const CONFIGS: Record<Exclude<DeploymentMode, 'allAtOnce'>, codedeploy.ILambdaDeploymentConfig> = {
  canary: codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES,
  linear: codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_1MINUTE,
};

/**
 * Every function of a stack behind a `live` alias on its current version, with an alarm on the alias's errors
 * plus throttles, and one composite alarm for the stack (any of them). With `deployment` canary or linear, a
 * CodeDeploy deployment group per function shifts the alias to a new version step by step and rolls back
 * when its alarm or a stage rollback alarm fires; allAtOnce (the default, for dev) moves the alias at once
 * and creates no CodeDeploy resources. Per function: a version, the alias, the alarm (and the group).
 */
export class LiveAliases extends Construct {
  readonly aliases = new Map<string, lambda.Alias>();
  readonly alarms = new Map<string, cloudwatch.Alarm>();
  readonly composite: cloudwatch.CompositeAlarm | undefined;

  constructor(scope: Construct, id: string, props: LiveAliasesProps) {
    super(scope, id);
    const shifting = props.deployment === 'allAtOnce' ? undefined : CONFIGS[props.deployment];
    let application: codedeploy.LambdaApplication | undefined;
    let role: iam.Role | undefined;
    if (shifting) {
      application = new codedeploy.LambdaApplication(this, 'Deploys', { applicationName: `${props.prefix}-${props.group}` });
      // One role for the stack's deployment groups (CodeDeploy would create one per group).
      role = new iam.Role(this, 'DeployRole', {
        assumedBy: new iam.ServicePrincipal('codedeploy.amazonaws.com'),
        managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSCodeDeployRoleForLambdaLimited')],
        description: `CodeDeploy shifting the live aliases of ${props.prefix} ${props.group}`,
      });
      acknowledge(
        role,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]',
        "AWS's policy for CodeDeploy on Lambda: update aliases, read the alarms, invoke only hooks named CodeDeployHook_*.",
      );
    }
    const rollbackAlarms = props.rollbackAlarms.map((alarm, i) =>
      // A reference from a nested stack becomes a parameter; a construct per stack keeps the ids unique.
      cloudwatch.Alarm.fromAlarmArn(this, `RollbackAlarm${i}`, alarm.alarmArn),
    );

    for (const [name, fn] of props.functions) {
      const scope = new Construct(this, name);
      const alias = new lambda.Alias(scope, 'Alias', { aliasName: LIVE_ALIAS, version: fn.currentVersion });
      const period = Duration.minutes(5);
      const alarm = new cloudwatch.Alarm(scope, 'Errors', {
        alarmName: `${props.prefix}-${name}-errors`,
        alarmDescription: `${props.prefix}-${name}: unhandled errors plus throttles of the live alias reached the threshold in 5 minutes (docs/operations.md, "Function errors")`,
        metric: new cloudwatch.MathExpression({
          expression: 'errors + throttles',
          usingMetrics: { errors: alias.metricErrors({ period, statistic: 'Sum' }), throttles: alias.metricThrottles({ period, statistic: 'Sum' }) },
          period,
          label: `${name} errors + throttles`,
        }),
        threshold: props.errorsThreshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      if (shifting && application && role) {
        new codedeploy.LambdaDeploymentGroup(scope, 'Deploy', {
          application,
          alias,
          role,
          deploymentConfig: shifting,
          alarms: [alarm, ...rollbackAlarms],
          autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
        });
      }
      this.aliases.set(name, alias);
      this.alarms.set(name, alarm);
    }
    if (this.alarms.size > 0) {
      this.composite = new cloudwatch.CompositeAlarm(this, 'AnyFunction', {
        compositeAlarmName: `${props.prefix}-${props.group}-functions`,
        alarmDescription: `A function of ${props.prefix} ${props.group} has errors or throttles (see its own alarm)`,
        alarmRule: cloudwatch.AlarmRule.anyOf(
          ...[...this.alarms.values()].map((a) => cloudwatch.AlarmRule.fromAlarm(a, cloudwatch.AlarmState.ALARM)),
        ),
      });
    }
  }

  get(name: string): lambda.Alias {
    const alias = this.aliases.get(name);
    if (!alias) throw new Error(`The manifest names an unknown function: ${name}`);
    return alias;
  }
}
