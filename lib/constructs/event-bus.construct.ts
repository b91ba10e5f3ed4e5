import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.ts';

export interface StageEventsProps {
  prefix: string;
  removalPolicy: RemovalPolicy;
}

/**
 * The stage's EventBridge bus (`<prefix>-events`): audit entries (`mls.audit`) and the domains' own events
 * (`mls.agents` Execution Finished, `mls.n8n-monitor` Alert Fired/Resolved, `mls.platform` API Key Revoked).
 * Functions whose manifest access has `eventBus` may put events on it; customers add rules of their own
 * (docs/operations.md). Beside it, the stage's dead-letter queue: failed asynchronous invocations of the
 * scheduled functions land there (alarmed on its depth).
 */
export class StageEvents extends Construct {
  readonly bus: events.EventBus;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: StageEventsProps) {
    super(scope, id);
    this.bus = new events.EventBus(this, 'Bus', {
      eventBusName: `${props.prefix}-events`,
      description: 'Audit entries and domain events of this stage (route them with rules of your own)',
    });
    this.bus.applyRemovalPolicy(props.removalPolicy);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      queueName: `${props.prefix}-dead-letters`,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.deadLetterQueue.applyRemovalPolicy(props.removalPolicy);
    acknowledge(this.deadLetterQueue, 'AwsSolutions-SQS3', 'This queue is itself the dead-letter queue of the stage; its depth is alarmed.');
  }

  /** Lets a function's role put events on the bus (nothing else, no other bus). */
  grantPut(role: iam.IGrantable): void {
    this.bus.grantPutEventsTo(role);
  }
}
