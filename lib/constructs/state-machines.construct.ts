import path from 'node:path';
import type { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { pascalName, type StateMachineName, type StateMachineSpec } from '#shared/manifest.types.ts';
import { acknowledge } from '../nag.ts';
import type { DomainFunctions } from './functions.construct.ts';

export interface StateMachinesProps {
  specs: StateMachineSpec[];
  /** The functions of the same stack: a state machine's tasks belong to its domain. */
  functions: DomainFunctions;
  projectRoot: string;
  stateMachineName: (name: StateMachineName) => string;
  logRetention: logs.RetentionDays;
  removalPolicy: RemovalPolicy;
}

/**
 * One state machine per manifest entry, from the same ASL file the local interpreter runs. Task states
 * name `${<PascalName>FunctionArn}`; the substitutions come from the entry's `tasks`.
 */
export class DomainStateMachines extends Construct {
  readonly byName = new Map<StateMachineName, sfn.StateMachine>();

  constructor(scope: Construct, id: string, props: StateMachinesProps) {
    super(scope, id);
    for (const spec of props.specs) {
      const machineScope = new Construct(this, spec.name);
      const logGroup = new logs.LogGroup(machineScope, 'Logs', {
        // Step Functions requires vended-log groups under /aws/vendedlogs/ to avoid the resource policy size limit.
        logGroupName: `/aws/vendedlogs/states/${props.stateMachineName(spec.name)}`,
        retention: props.logRetention,
        removalPolicy: props.removalPolicy,
      });
      // The live aliases: a canary deploy shifts the tasks' traffic like the API's.
      const taskFunctions = [...new Set(Object.values(spec.tasks))].map((name) => props.functions.invokable(name));
      const role = new iam.Role(machineScope, 'Role', { assumedBy: new iam.ServicePrincipal('states.amazonaws.com') });
      if (taskFunctions.length > 0) {
        // Exact ARNs of what the definition invokes (the live aliases), not the `:*` every-version form of grantInvoke.
        role.addToPolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: taskFunctions.map((fn) => fn.functionArn) }));
      }
      const machine = new sfn.StateMachine(machineScope, 'StateMachine', {
        stateMachineName: props.stateMachineName(spec.name),
        definitionBody: sfn.DefinitionBody.fromFile(path.join(props.projectRoot, spec.definition)),
        definitionSubstitutions: Object.fromEntries(
          taskFunctions.map((fn, i) => [`${pascalName([...new Set(Object.values(spec.tasks))][i]!)}FunctionArn`, fn.functionArn]),
        ),
        role,
        // Every event (which state ran, when, how it ended) but no execution data: inputs, outputs and task
        // parameters carry prompts, tool arguments and the approval step's task token (a credential that
        // resumes the run), none of which belongs in a log. The data itself is in PostgreSQL, per tenant.
        logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
        tracingEnabled: true,
      });
      acknowledge(
        role,
        'AwsSolutions-IAM5[Resource::*]',
        'CloudWatch Logs delivery (logs:CreateLogDelivery, ...) and X-Ray (PutTraceSegments, ...) actions that Step Functions logging and tracing need have no resource-level permissions.',
      );
      this.byName.set(spec.name, machine);
    }
  }
}
