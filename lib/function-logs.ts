/**
 * A log group with retention for every Lambda function of a stack, including the ones aws-cdk-lib adds on its
 * own (the Trigger provider of the migrations, custom-resource providers). Left alone, Lambda creates
 * `/aws/lambda/<name>` on the first invocation with "never expire", outside the stack: it is kept forever,
 * costs forever, and survives the stack's deletion.
 */
import { CfnResource, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';

const isFunction = (c: IConstruct): c is CfnResource => CfnResource.isCfnResource(c) && c.cfnResourceType === 'AWS::Lambda::Function';

/**
 * Gives each function of `scope` (nested stacks included) that has no log group of its own a new one with
 * `retention`, through the function's LoggingConfig. Call it last, once every function exists. The functions
 * this touches are CDK-owned providers whose roles carry AWSLambdaBasicExecutionRole, which may write to it.
 */
export const giveEveryFunctionALogGroup = (scope: IConstruct, retention: logs.RetentionDays, removalPolicy: RemovalPolicy): void => {
  for (const fn of scope.node.findAll().filter(isFunction)) {
    // A CfnFunction says whether it has a log group; a provider's raw CfnResource never has one.
    if (fn instanceof lambda.CfnFunction && fn.loggingConfig !== undefined) continue;
    const parent = fn.node.scope ?? Stack.of(fn);
    const logGroup = new logs.LogGroup(parent, `${fn.node.id}LogGroup`, { retention, removalPolicy });
    fn.addPropertyOverride('LoggingConfig.LogGroup', logGroup.logGroupName);
  }
};
