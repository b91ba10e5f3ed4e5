import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { FunctionSpec, ScheduleSpec, SettingName } from '#shared/manifest.types.ts';

/** The interval a schedule runs at: the operator setting when given, else the manifest's default. */
export const scheduleMinutes = (schedule: ScheduleSpec, settings: Partial<Record<SettingName, string>>): number => {
  const configured = schedule.setting ? settings[schedule.setting] : undefined;
  const minutes = configured === undefined ? schedule.everyMinutes : Number(configured);
  if (!Number.isInteger(minutes) || minutes < 1) {
    throw new Error(
      `${schedule.setting ?? 'schedule'} must be a whole number of minutes, at least 1 (EventBridge's rate granularity): ${configured}`,
    );
  }
  return minutes;
};

export interface SchedulesProps {
  specs: FunctionSpec[];
  functionOf: (name: string) => lambda.IFunction;
  prefix: string;
  settings: Partial<Record<SettingName, string>>;
}

/** One EventBridge rule per scheduled function of the manifest (`schedule`), invoking it with the Scheduled Event. */
export class Schedules extends Construct {
  readonly rules = new Map<string, events.Rule>();

  constructor(scope: Construct, id: string, props: SchedulesProps) {
    super(scope, id);
    for (const spec of props.specs) {
      if (!spec.schedule) continue;
      const minutes = scheduleMinutes(spec.schedule, props.settings);
      const rule = new events.Rule(this, spec.name, {
        ruleName: `${props.prefix}-${spec.name}`,
        description: `Runs ${spec.name} every ${minutes} minute(s)`,
        schedule: events.Schedule.rate(Duration.minutes(minutes)),
        targets: [new targets.LambdaFunction(props.functionOf(spec.name), { retryAttempts: 0 })],
      });
      this.rules.set(spec.name, rule);
    }
  }
}
