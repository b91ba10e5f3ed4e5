/**
 * The REST API across stacks, on its own (stand-in functions, no bundling, so it stays fast): routes of two
 * domains in two nested stacks share `/v1` without creating it twice, and the deployment is named after the
 * route set, so adding a route in any stack deploys a new stage version with no manual step.
 */
import { App, NestedStack, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import type { FunctionSpec, HttpRoute } from '#shared/manifest.types.ts';
import { PlatformRestApi } from '../../lib/constructs/rest-api.construct.ts';

const fn = (domain: FunctionSpec['domain'], name: string, ...routes: HttpRoute[]): FunctionSpec => ({
  name,
  domain,
  entry: 'unused',
  description: name,
  access: {},
  http: routes,
});
const get = (path: string, auth?: 'none'): HttpRoute => ({ method: 'GET', path, summary: path, ...(auth ? { auth } : {}) });

const build = (domains: Record<string, FunctionSpec[]>) => {
  const app = new App();
  const parent = new Stack(app, 'Parent', { env: { account: '123456789012', region: 'eu-west-1' } });
  const stub = (scope: Stack, name: string) =>
    new lambda.Function(scope, `Fn${name.replace(/-/g, '')}`, {
      code: lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200 })'),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
    });
  const { platform = [], ...others } = domains;
  const rest = new PlatformRestApi(parent, 'Rest', {
    prefix: 'mls-test',
    stageName: 'test',
    logRetention: logs.RetentionDays.ONE_DAY,
    removalPolicy: RemovalPolicy.DESTROY,
    corsOrigins: ['*'],
    throttle: { rateLimit: 10, burstLimit: 10 },
    authorizerFunction: stub(parent, 'authorizer'),
    functionsByDomain: new Map(Object.entries(domains)),
  });
  const parentFns = new Map(platform.map((s) => [s.name, stub(parent, s.name)]));
  rest.addRoutes(parent, platform, (name) => parentFns.get(name)!);
  const nested = Object.entries(others).map(([domain, specs]) => {
    const stack = new NestedStack(parent, domain);
    const fns = new Map(specs.map((s) => [s.name, stub(stack, s.name)]));
    rest.addRoutes(stack, specs, (name) => fns.get(name)!);
    return [domain, stack] as const;
  });
  rest.seal(nested.map(([, stack]) => stack));
  return { parent: Template.fromStack(parent), nested: new Map(nested.map(([d, s]) => [d, Template.fromStack(s)])) };
};

const base = {
  platform: [fn('platform', 'health', get('/health', 'none')), fn('platform', 'get-me', get('/v1/me'))],
  agents: [fn('agents', 'list-agents', get('/v1/agents')), fn('agents', 'get-agent', get('/v1/agents/{agentId}'))],
  realtime: [fn('realtime', 'list-workspaces', get('/v1/workspaces'))],
};

const deploymentId = (t: Template): string => Object.keys(t.findResources('AWS::ApiGateway::Deployment'))[0]!;
const pathParts = (t: Template): string[] =>
  Object.values(t.findResources('AWS::ApiGateway::Resource'))
    .map((r) => r.Properties.PathPart)
    .sort();

describe('REST API across nested stacks', () => {
  it('creates a segment two domains share once, in the parent, and each domain its own segments', () => {
    const { parent, nested } = build(base);
    expect(pathParts(parent)).toEqual(['health', 'me', 'v1']);
    expect(pathParts(nested.get('agents')!)).toEqual(['agents', '{agentId}']);
    expect(pathParts(nested.get('realtime')!)).toEqual(['workspaces']);
    // The nested stacks hang their segments on the parent's `/v1`, passed in as a parameter.
    const [v1] = Object.keys(parent.findResources('AWS::ApiGateway::Resource', { Properties: { PathPart: 'v1' } }));
    const agentsStack = Object.values(parent.findResources('AWS::CloudFormation::Stack')).find((s) => JSON.stringify(s).includes(v1!));
    expect(agentsStack).toBeDefined();
  });

  it('deploys after every nested stack, and gets a new deployment when a route is added in any stack', () => {
    const first = build(base);
    const [, deployment] = Object.entries(first.parent.findResources('AWS::ApiGateway::Deployment'))[0]!;
    expect(deployment.DependsOn).toEqual(expect.arrayContaining(Object.keys(first.parent.findResources('AWS::CloudFormation::Stack'))));
    expect(deploymentId(build(base).parent)).toBe(deploymentId(first.parent));
    const added = { ...base, realtime: [...base.realtime, fn('realtime', 'get-workspace', get('/v1/workspaces/{workspaceId}'))] };
    expect(deploymentId(build(added).parent)).not.toBe(deploymentId(first.parent));
  });

  it('authorizes nested methods with the parent authorizer and leaves auth "none" routes open', () => {
    const { parent, nested } = build(base);
    const methods = (t: Template) => Object.values(t.findResources('AWS::ApiGateway::Method')).filter((m) => m.Properties.HttpMethod !== 'OPTIONS');
    expect(
      methods(parent)
        .map((m) => m.Properties.AuthorizationType)
        .sort(),
    ).toEqual(['CUSTOM', 'NONE']);
    for (const template of nested.values()) for (const m of methods(template)) expect(m.Properties.AuthorizationType).toBe('CUSTOM');
  });
});
