/**
 * What the CDK app reads from its context before building anything: the stage (every resource name derives
 * from it) and the AWS environment. Plain functions, so the rules are tested without synthesizing.
 */
import type { Environment } from 'aws-cdk-lib';

/** Names the stack gives resources, with the limits of the service that owns each (`<stage>` is the stage). */
const DERIVED_NAMES: Array<{ what: string; name: (stage: string, longestFunction: string) => string; max: number }> = [
  // RDS: 1-63 letters, digits and hyphens, first a letter, no trailing hyphen, no two hyphens in a row.
  { what: 'the Aurora cluster identifier', name: (s) => `mls-${s}-postgres`, max: 63 },
  // RDS Proxy: the same character rules, at most 60 characters.
  { what: 'the RDS Proxy name', name: (s) => `mls-${s}-proxy`, max: 60 },
  { what: 'the secret rotation function name', name: (s) => `mls-${s}-database-rotation`, max: 64 },
  { what: 'the longest Lambda function name', name: (s, fn) => `mls-${s}-${fn}`, max: 64 },
];

/**
 * Why `stage` cannot name a stage, or undefined when it can. The rules are the strictest of the names built
 * from it: RDS (cluster, proxy) refuses upper case, a trailing hyphen and two hyphens in a row, and each
 * name has its own length limit; a stage that breaks one would otherwise fail half-way through a deploy.
 */
export const stageProblem = (stage: string, functionNames: readonly string[] = []): string | undefined => {
  if (!/^[a-z][a-z0-9-]*$/.test(stage)) return 'must start with a lower-case letter and hold only lower-case letters, digits and hyphens';
  if (stage.length > 20) return 'must be at most 20 characters';
  if (stage.endsWith('-')) return 'must not end with a hyphen (RDS and RDS Proxy names cannot)';
  if (stage.includes('--')) return 'must not contain two hyphens in a row (RDS and RDS Proxy names cannot)';
  const longestFunction = [...functionNames].sort((a, b) => b.length - a.length)[0] ?? '';
  for (const rule of DERIVED_NAMES) {
    const name = rule.name(stage, longestFunction);
    if (name.length > rule.max) return `is too long: ${rule.what} would be ${name} (${name.length} characters, at most ${rule.max})`;
  }
  return undefined;
};

/**
 * The stack's environment: the account and region named by context (`-c account=… -c region=…`), else
 * none, which makes the template environment-agnostic (it deploys into whatever region the CLI uses, and
 * says so in its description). Not CDK_DEFAULT_REGION: the CDK CLI sets that to `us-east-1` when it finds no
 * region at all, which would bind the template to a region nobody chose.
 */
export const stackEnvironment = (context: (key: string) => string | undefined): Environment | undefined => {
  const account = context('account');
  const region = context('region');
  if (account !== undefined && !/^\d{12}$/.test(account)) throw new Error(`context account must be a 12-digit AWS account id: ${account}`);
  if (region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d$/.test(region))
    throw new Error(`context region must be an AWS region such as eu-west-1: ${region}`);
  if (account === undefined && region === undefined) return undefined;
  return { ...(account ? { account } : {}), ...(region ? { region } : {}) };
};

/** How the stack description names its environment. */
export const describeEnvironment = (environment: Environment | undefined): string =>
  environment?.region ? `region ${environment.region}` : 'environment-agnostic: deploys into the CLI region';
