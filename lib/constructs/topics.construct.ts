import type { RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { TopicName } from '#shared/manifest.types.ts';
import { topics as topicShapes } from '#shared/resources.ts';

export interface TopicsProps {
  prefix: string;
  removalPolicy: RemovalPolicy;
}

/**
 * The SNS topics named in functions/shared/resources.ts (one per stage each): encrypted with the AWS managed
 * SNS key and reachable over TLS only. Operators subscribe what they like (email, chat, queues).
 */
export class Topics extends Construct {
  readonly topics: Record<TopicName, sns.Topic>;

  constructor(scope: Construct, id: string, props: TopicsProps) {
    super(scope, id);
    const managedKey = kms.Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns');
    const names = Object.keys(topicShapes) as TopicName[];
    this.topics = Object.fromEntries(
      names.map((name) => {
        const topic = new sns.Topic(this, `${name[0]!.toUpperCase()}${name.slice(1)}`, {
          topicName: `${props.prefix}-${name}`,
          displayName: topicShapes[name].description.slice(0, 100),
          masterKey: managedKey,
          enforceSSL: true,
        });
        topic.applyRemovalPolicy(props.removalPolicy);
        return [name, topic];
      }),
    ) as Record<TopicName, sns.Topic>;
  }
}
