/**
 * The Aurora construct's removal rules, on a bare stack (no functions, no bundling): the cluster and its secret
 * agree (kept together, or deleted together), and deletion protection is switched on only after what it is told
 * to wait for, never by the template itself, so the rollback of a failed first deploy can delete the cluster.
 */
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { Database } from '../../lib/constructs/database.construct.ts';
import { Network } from '../../lib/constructs/network.construct.ts';

const build = (options: { deletionProtection: boolean; removalPolicy: RemovalPolicy }) => {
  const stack = new Stack(new App(), 'db', { env: { account: '123456789012', region: 'eu-west-1' } });
  const database = new Database(stack, 'Database', {
    vpc: new Network(stack, 'Network', { natGateways: 1, logRetention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY }).vpc,
    prefix: 'mls-test',
    ...options,
    logRetention: logs.RetentionDays.ONE_MONTH,
    minCapacity: 0.5,
    maxCapacity: 4,
  });
  // Something else of the stack that has to exist first.
  const other = new sqs.Queue(stack, 'SomethingElse', { enforceSSL: true });
  database.protectAfter([other], logs.RetentionDays.ONE_MONTH);
  return { template: Template.fromStack(stack), otherId: stack.getLogicalId(other.node.defaultChild as sqs.CfnQueue) };
};

const clusterSecret = (template: Template) =>
  Object.values(template.findResources('AWS::SecretsManager::Secret')).find((s) => s.Properties.Name === 'mls-test/database')!;

describe('the Aurora cluster on delete and on a failed first deploy', () => {
  it('keeps a snapshot and the secret that opens it, lets a first-deploy rollback delete both, and protects the cluster last', () => {
    const { template, otherId } = build({ deletionProtection: true, removalPolicy: RemovalPolicy.SNAPSHOT });
    const [clusterId, cluster] = Object.entries(template.findResources('AWS::RDS::DBCluster'))[0]!;
    expect(cluster.DeletionPolicy).toBe('Snapshot');
    expect(cluster.Properties.DeletionProtection).toBeUndefined();
    expect(clusterSecret(template)).toMatchObject({ DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain' });

    const [protection] = Object.values(template.findResources('Custom::AWS'));
    expect(protection!.DependsOn).toContain(otherId);
    const create = JSON.stringify(protection!.Properties.Create);
    expect(create).toContain('modifyDBCluster');
    expect(create).toContain(JSON.stringify({ Ref: clusterId }));
    // Allowed to modify this cluster only.
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.PolicyDocument).includes('rds:ModifyDBCluster'),
    );
    expect(policies).toHaveLength(1);
    expect(JSON.stringify(policies[0]!.Properties.PolicyDocument.Statement[0].Resource)).toContain(clusterId);
  });

  it('deletes cluster and secret together, unprotected, on a disposable stage', () => {
    const { template } = build({ deletionProtection: false, removalPolicy: RemovalPolicy.DESTROY });
    const [, cluster] = Object.entries(template.findResources('AWS::RDS::DBCluster'))[0]!;
    expect(cluster.DeletionPolicy).toBe('Delete');
    expect(clusterSecret(template).DeletionPolicy).toBe('Delete');
    template.resourceCountIs('Custom::AWS', 0);
  });
});
