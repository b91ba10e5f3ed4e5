/**
 * Every function gets a log group with retention, including the ones aws-cdk-lib adds on its own: checked here
 * on a bare stack with the providers the platform stack may contain (S3 auto-delete with retainData=false, a
 * Trigger, an AwsCustomResource), without synthesizing the whole platform.
 */
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as triggers from 'aws-cdk-lib/triggers';
import { describe, expect, it } from 'vitest';
import { giveEveryFunctionALogGroup } from '../../lib/function-logs.ts';

describe('giveEveryFunctionALogGroup', () => {
  it('gives CDK-owned providers and plain functions a log group with retention, and keeps a function’s own', () => {
    const stack = new Stack(new App(), 'logs', { env: { account: '123456789012', region: 'eu-west-1' } });
    new s3.Bucket(stack, 'Bucket', { removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true });
    const code = lambda.Code.fromInline('export const handler = async () => ({});');
    const plain = new lambda.Function(stack, 'Plain', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code });
    new triggers.Trigger(stack, 'Trigger', { handler: plain });
    const ownGroup = new logs.LogGroup(stack, 'OwnGroup', { retention: logs.RetentionDays.ONE_WEEK });
    new lambda.Function(stack, 'Own', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code, logGroup: ownGroup });

    giveEveryFunctionALogGroup(stack, logs.RetentionDays.ONE_MONTH, RemovalPolicy.DESTROY);

    const template = Template.fromStack(stack);
    const groups = template.findResources('AWS::Logs::LogGroup');
    const functions = Object.entries(template.findResources('AWS::Lambda::Function'));
    // Plain, Own, the auto-delete provider and the Trigger provider.
    expect(functions).toHaveLength(4);
    for (const [id, fn] of functions) {
      const ref = fn.Properties.LoggingConfig?.LogGroup?.Ref as string | undefined;
      expect(`${id}: ${ref !== undefined && ref in groups}`).toBe(`${id}: true`);
      const expected = ref?.startsWith('OwnGroup') ? 7 : 30;
      expect(`${id}: ${groups[ref!]?.Properties.RetentionInDays}`).toBe(`${id}: ${expected}`);
    }
  });
});
