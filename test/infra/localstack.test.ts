/** The LocalStack target: same functions and APIs, no VPC/Aurora/RDS Proxy, PostgreSQL by URL. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaByName, manifest, synthesize, type Synthesized } from './synth.ts';

const DATABASE_URL = 'postgres://mls:mls@db.example:5432/mls';
let synth: Synthesized;

beforeAll(() => {
  synth = synthesize({ stage: 'local', target: 'localstack', databaseUrl: DATABASE_URL });
});
afterAll(() => synth?.cleanup());

describe('localstack target', () => {
  it('has no VPC, RDS or NAT resources', () => {
    const types = new Set(Object.values(synth.template.toJSON().Resources as Record<string, { Type: string }>).map((r) => r.Type));
    expect([...types].filter((t) => t.startsWith('AWS::EC2::') || t.startsWith('AWS::RDS::'))).toEqual([]);
  });

  it('hands database functions DATABASE_URL (context-overridable) and every function path-style S3', () => {
    const lambdas = lambdaByName(synth.template, 'local');
    for (const spec of [manifest.authorizer, ...manifest.functions, ...manifest.systemFunctions]) {
      const variables = lambdas.get(spec.name)!.props.Environment.Variables;
      expect(variables.S3_FORCE_PATH_STYLE).toBe('true');
      expect(`${spec.name}: ${variables.DATABASE_URL}`).toBe(`${spec.name}: ${spec.access.database ? DATABASE_URL : undefined}`);
      expect(variables.DB_SECRET_ARN).toBeUndefined();
    }
  });

  it('keeps the APIs, state machines and migration trigger, with no unacknowledged cdk-nag finding', () => {
    synth.template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    synth.template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    synth.parent.resourceCountIs('AWS::CloudFormation::Stack', synth.domains.size);
    synth.template.resourceCountIs('AWS::StepFunctions::StateMachine', manifest.stateMachines.length);
    // LocalStack runs no RDS: no database, so no secret rotation either.
    synth.template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
    synth.template.resourceCountIs('Custom::Trigger', 1);
    expect(synth.nagFindings).toEqual([]);
  });
});
