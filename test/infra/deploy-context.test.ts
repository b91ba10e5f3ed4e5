/**
 * What the CDK app accepts as stage and environment, without synthesizing: a stage name that one of the names
 * derived from it cannot carry would fail half-way through a deploy (RDS and RDS Proxy are the strictest), and a
 * template must not be bound to a region nobody chose.
 */
import { describe, expect, it } from 'vitest';
import { manifest as platformManifest } from '#functions/manifest.ts';
import { allFunctionSpecs, flatten } from '#shared/manifest.types.ts';
import { describeEnvironment, stackEnvironment, stageProblem } from '../../lib/deploy-context.ts';
import { createPlatformApp } from '../../lib/platform-app.ts';

const functionNames = allFunctionSpecs(flatten(platformManifest)).map((f) => f.name);
const longest = Math.max(...functionNames.map((n) => n.length));
const contextOf =
  (values: Record<string, string>) =>
  (key: string): string | undefined =>
    values[key];

describe('stage names', () => {
  it.each(['dev', 'prod', 'team-a', 'x1', 'a'.repeat(Math.min(20, 64 - 'mls--'.length - longest))])('accepts %s', (stage) => {
    expect(stageProblem(stage, functionNames)).toBeUndefined();
  });

  it.each([
    ['Prod', /lower-case/],
    ['1st', /start with a lower-case letter/],
    ['dev_1', /hyphens/],
    ['dev.1', /hyphens/],
    ['', /start with/],
    ['dev-', /end with a hyphen/],
    ['dev--blue', /two hyphens in a row/],
    ['a'.repeat(21), /at most 20/],
  ])('refuses %j (invalid for RDS and the RDS Proxy)', (stage, reason) => {
    expect(stageProblem(stage, functionNames)).toMatch(reason);
  });

  it('refuses a stage that would make a derived name too long for its service, naming it', () => {
    // Today's function names all fit with a 20-character stage; a longer one added later must not slip through.
    const name = 'f'.repeat(64 - 'mls-dev-'.length);
    expect(stageProblem('dev', [name])).toBeUndefined();
    expect(stageProblem('prod', [name])).toMatch(/the longest Lambda function name would be mls-prod-f+ \(65 characters, at most 64\)/);
  });

  it('stops `cdk synth` before building anything', () => {
    expect(() => createPlatformApp({ manifest: platformManifest, context: { stage: 'Dev--' }, nag: false })).toThrow(/context stage .*: Dev--/);
  });
});

describe('the stack environment', () => {
  it('is environment-agnostic without context, even where the CLI would default the region to us-east-1', () => {
    const saved = process.env.CDK_DEFAULT_REGION;
    process.env.CDK_DEFAULT_REGION = 'us-east-1';
    try {
      expect(stackEnvironment(contextOf({}))).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.CDK_DEFAULT_REGION;
      else process.env.CDK_DEFAULT_REGION = saved;
    }
    expect(describeEnvironment(undefined)).toMatch(/environment-agnostic/);
  });

  it('binds to the account and region named by context, and says which region', () => {
    const environment = stackEnvironment(contextOf({ account: '123456789012', region: 'eu-central-1' }));
    expect(environment).toEqual({ account: '123456789012', region: 'eu-central-1' });
    expect(describeEnvironment(environment)).toBe('region eu-central-1');
    expect(stackEnvironment(contextOf({ region: 'ap-southeast-2' }))).toEqual({ region: 'ap-southeast-2' });
  });

  it.each([
    [{ account: '12345' }, /12-digit/],
    [{ region: 'EU-WEST-1' }, /AWS region/],
    [{ region: 'eu-west' }, /AWS region/],
  ])('refuses %j', (values, reason) => {
    expect(() => stackEnvironment(contextOf(values))).toThrow(reason);
  });
});
