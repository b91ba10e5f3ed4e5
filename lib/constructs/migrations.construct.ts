import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CfnResource, type Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as triggers from 'aws-cdk-lib/triggers';
import { Construct, type IConstruct } from 'constructs';
import { acknowledge } from '../nag.ts';

export interface MigrationsProps {
  /** The `migrate` function; its bundle carries the SQL files. */
  handler: lambda.Function;
  migrationsDir: string;
  /** Database resources that must be ready first. */
  executeAfter: IConstruct[];
  timeout: Duration;
}

/** sha256 over the migration files' names and contents: any change re-runs the trigger. */
export const hashDirectory = (dir: string): string => {
  const hash = createHash('sha256');
  const files = fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort() : [];
  for (const file of files) {
    const full = path.join(dir, file);
    if (!fs.statSync(full).isFile()) continue;
    hash.update(file).update('\0').update(fs.readFileSync(full)).update('\0');
  }
  return hash.digest('hex');
};

/** Runs database migrations on deploy, once the database is ready; a failure fails the deployment. */
export class Migrations extends Construct {
  readonly trigger: triggers.Trigger;
  readonly migrationsHash: string;

  constructor(scope: Construct, id: string, props: MigrationsProps) {
    super(scope, id);
    this.migrationsHash = hashDirectory(props.migrationsDir);
    this.trigger = new triggers.Trigger(this, 'Trigger', {
      handler: props.handler,
      executeAfter: props.executeAfter,
      executeOnHandlerChange: true,
      invocationType: triggers.InvocationType.REQUEST_RESPONSE,
      timeout: props.timeout,
    });
    // The bundle hash already changes with the SQL files (they are copied into it); the explicit hash makes
    // "migrations changed -> run again" visible in the template and independent of how bundling hashes.
    const resource = this.trigger.node.findAll().find((c): c is CfnResource => CfnResource.isCfnResource(c));
    resource?.addPropertyOverride('MigrationsHash', this.migrationsHash);
  }

  /** Creates and updates `dependents` (functions, nested stacks) only once the migrations have run. */
  runBefore(dependents: Iterable<IConstruct>): void {
    for (const dependent of dependents) dependent.node.addDependency(this.trigger);
  }
}

/** The trigger's provider Lambda is a stack-level singleton that CDK owns; acknowledge its fixed shape. */
export const acknowledgeTriggerProvider = (stackScope: IConstruct): void => {
  const provider = stackScope.node.tryFindChild('AWSCDK.TriggerCustomResourceProviderCustomResourceProvider');
  if (!provider) return;
  acknowledge(
    provider,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    'CDK-owned trigger provider: its role is defined by aws-cdk-lib (basic execution role only, plus lambda:InvokeFunction on the migrate function).',
  );
  acknowledge(provider, 'AwsSolutions-L1', 'CDK-owned trigger provider: its runtime is pinned by aws-cdk-lib, not by this stack.');
};
