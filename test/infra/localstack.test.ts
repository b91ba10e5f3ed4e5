/** The LocalStack target: same functions and APIs, no VPC/Aurora/RDS Proxy, PostgreSQL by URL. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../../lib/platform-app.ts';
import { lambdaByName, manifest, resolveFromParent, synthesize, type Synthesized } from './synth.ts';

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

describe('the LocalStack compose file and the functions that run in it', () => {
  const compose = parse(readFileSync(path.join(PROJECT_ROOT, 'docker-compose.localstack.yml'), 'utf8'));
  const localstack = compose.services.localstack.environment as Record<string, string>;
  const services = new Set(localstack.SERVICES!.split(',').map((s) => s.trim()));

  it('starts every service cdklocal bootstrap needs (ECR included) and every service of the template', () => {
    // The bootstrap template: staging bucket, container-assets repository, roles, version parameter.
    for (const service of ['cloudformation', 'iam', 'sts', 'ssm', 'ecr', 's3']) expect(services).toContain(service);
    const types = new Set(Object.values(synth.template.toJSON().Resources as Record<string, { Type: string }>).map((r) => r.Type));
    const used = [...types].filter((t) => t.startsWith('AWS::')).map((t) => t.split('::')[1]!.toLowerCase());
    expect([...new Set(used)].filter((service) => !services.has(service))).toEqual([]);
  });

  it('lets arm64 functions run on an x86-64 host', () => {
    const architectures = new Set(
      Object.values(synth.template.findResources('AWS::Lambda::Function')).flatMap((f) => f.Properties.Architectures ?? ['x86_64']),
    );
    if (architectures.has('arm64')) expect(String(localstack.LAMBDA_IGNORE_ARCHITECTURE)).toBe('1');
  });

  it('points the WebSocket callback URL at LocalStack, not at the AWS hostname, in every stack', () => {
    const lambdas = lambdaByName(synth.template, 'local');
    const posting = [manifest.authorizer, ...manifest.functions, ...manifest.systemFunctions].filter((f) => f.access.websocketManagement);
    expect(posting.length).toBeGreaterThan(0);
    for (const spec of posting) {
      const url = JSON.stringify(lambdas.get(spec.name)!.props.Environment.Variables.WEBSOCKET_CALLBACK_URL);
      expect(`${spec.name}: ${url}`).toMatch(/: .*"http:\/\/".*execute-api\.localhost\.localstack\.cloud:4566\/local/);
      expect(url).not.toContain('amazonaws');
    }
    // A nested stack builds the URL from the API id the parent passes in: that id is the parent's WebSocket API.
    const [apiId] = Object.keys(synth.parent.findResources('AWS::ApiGatewayV2::Api'));
    for (const [domain, template] of synth.domains) {
      const parameter = template.toJSON().Parameters?.WebSocketApiId;
      if (parameter) expect(resolveFromParent(synth, domain, { Ref: 'WebSocketApiId' })).toEqual({ Ref: apiId });
    }
  });
});
