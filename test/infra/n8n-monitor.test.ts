/**
 * The n8n monitor's infrastructure: the poll function's EventBridge schedule (interval from the
 * `n8nPollMinutes` setting) in the domain's nested stack, the stage's alerts topic (encrypted, TLS only) and
 * the grants and environment the manifest's `access` derives. Synthesized without bundling (fast).
 */
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlatformApp } from '../../lib/platform-app.ts';
import { manifest as platformManifest } from '../../functions/manifest.ts';
import { actionsOfRole, lambdaByName, synthesize, type Synthesized } from './synth.ts';

let synth: Synthesized;
beforeAll(() => {
  synth = synthesize({ stage: 'n8ntest', n8nPollMinutes: '10' });
});
afterAll(() => synth?.cleanup());

describe('n8n monitor infrastructure', () => {
  it('runs the poll function on an EventBridge schedule from the setting, in the domain stack', () => {
    const domain = synth.domains.get('n8n-monitor')!;
    domain.hasResourceProperties('AWS::Events::Rule', {
      Name: 'mls-n8ntest-poll-n8n',
      ScheduleExpression: 'rate(10 minutes)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 0 } })],
    });
    domain.hasResourceProperties('AWS::Lambda::Permission', { Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com' });
    const poll = lambdaByName(synth.template, 'n8ntest').get('poll-n8n')!;
    expect(poll.props.Timeout).toBe(300);
    expect(Object.keys(poll.props.Environment.Variables)).toEqual(
      expect.arrayContaining(['CREDENTIALS_KEY_ARN', 'N8N_ALERTS_TOPIC_ARN', 'CONNECTIONS_TABLE', 'WEBSOCKET_CALLBACK_URL']),
    );
    expect(actionsOfRole(synth.template, poll.props.Role)).toEqual(expect.arrayContaining(['sns:Publish', 'secretsmanager:GetSecretValue']));
  });

  it('creates the alerts topic (SNS-managed KMS key, TLS only) and the credentials key secret, and stays cdk-nag clean', () => {
    synth.parent.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'mls-n8ntest-n8nAlerts', KmsMasterKeyId: Match.anyValue() });
    synth.parent.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    synth.parent.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'mls-n8ntest/credentialsKey', GenerateSecretString: Match.anyValue() });
    synth.parent.hasOutput('N8nAlertsTopicArn', Match.anyValue());
    expect(synth.nagFindings).toEqual([]);
  });

  it('refuses a poll interval EventBridge cannot run', () => {
    expect(() =>
      createPlatformApp({
        manifest: platformManifest,
        context: { stage: 'bad', n8nPollMinutes: '0.5', 'aws:cdk:bundling-stacks': [] as unknown as string },
      }),
    ).toThrow(/n8nPollMinutes must be a whole number of minutes/);
  });
});
