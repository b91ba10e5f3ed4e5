/**
 * Builds the CDK app from context. Shared by bin/app.ts (the CLI entry) and the infra tests, so both
 * synthesize exactly the same thing. Context (`-c key=value` or cdk.json):
 *   stage              resource name suffix (default `dev`; lower-case letters, digits, single hyphens, max 20)
 *   account, region    bind the stack to this account/region; without them the template is environment-agnostic
 *   target             `aws` (default) | `localstack` (no VPC/Aurora/RDS Proxy; functions get DATABASE_URL)
 *   databaseSecretArn  use an existing database's secret (full ARN) instead of creating Aurora
 *   databaseUrl        LocalStack target: PostgreSQL URL as seen from the Lambda containers
 *   localstackHost     LocalStack target: host:port of LocalStack's APIs from the Lambda containers
 *                      (default localhost.localstack.cloud:4566; the WebSocket callback URL is built on it)
 *   retainData         `false` deletes tables/bucket/database with the stack (default true)
 *   deletionProtection `false` switches Aurora deletion protection off (default true)
 *   natGateways        NAT gateways for the Lambda subnets (default 1)
 *   databaseMinCapacity, databaseMaxCapacity
 *                      Aurora Serverless v2 capacity range in ACUs (default 0.5-4)
 *   logRetentionDays   CloudWatch log retention (default 30)
 *   logLevel           Powertools log level (default INFO)
 *   openaiBaseUrl, anthropicBaseUrl, httpToolAllowedHosts, oidcIssuer, oidcAudience, oidcJwksUrl,
 *   rateLimitPerMinute, corsAllowedOrigins, ideDefaultModel, tokenBatchMs, tokenBatchChars
 *                      operator settings (functions/shared/resources.ts `settings`), each passed to the
 *                      functions naming it (corsAllowedOrigins also sets the REST API's CORS preflight)
 *   deployment, waf, wafRateLimit, apiThrottleRate, apiThrottleBurst, alarmEmail, alarmHttpsUrl, alarm<Name>
 *                      operations (lib/operations-context.ts, docs/operations.md)
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { allFunctionSpecs, flatten, type PlatformManifest, type SettingName } from '#shared/manifest.types.ts';
import { settings } from '#shared/resources.ts';
import { describeEnvironment, stackEnvironment, stageProblem } from './deploy-context.ts';
import { PlatformStack, type DeployTarget } from './platform-stack.ts';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface PlatformAppOptions {
  manifest: PlatformManifest;
  /** Extra context (tests); the CLI passes context through the environment. */
  context?: Record<string, string>;
  outdir?: string;
  /** Register cdk-nag AwsSolutions as a validation plugin (synthesis fails on unacknowledged findings). */
  nag?: boolean;
}

export const createPlatformApp = (options: PlatformAppOptions): { app: App; stack: PlatformStack } => {
  const appProps: AppProps = {
    ...(options.context ? { context: options.context } : {}),
    ...(options.outdir ? { outdir: options.outdir } : {}),
  };
  const app = new App(appProps);
  const context = (key: string): string | undefined => {
    const value: unknown = app.node.tryGetContext(key);
    return value === undefined || value === null || value === '' ? undefined : String(value);
  };
  const flag = (key: string): boolean | undefined => {
    const value = context(key);
    return value === undefined ? undefined : value !== 'false';
  };
  const number = (key: string): number | undefined => {
    const value = context(key);
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (!Number.isFinite(parsed)) throw new Error(`context ${key} must be a number: ${value}`);
    return parsed;
  };

  const stage = context('stage') ?? 'dev';
  const problem = stageProblem(
    stage,
    allFunctionSpecs(flatten(options.manifest)).map((f) => f.name),
  );
  if (problem) throw new Error(`context stage ${problem}: ${stage}`);
  const environment = stackEnvironment(context);
  const target = context('target') ?? 'aws';
  if (target !== 'aws' && target !== 'localstack') throw new Error(`context target must be aws or localstack: ${target}`);

  const optional = <T>(key: string, value: T | undefined): Record<string, T> => (value === undefined ? {} : { [key]: value });
  const stack = new PlatformStack(app, `mls-${stage}`, {
    stackName: `mls-${stage}`,
    description: `Multimodal LLM Stack (${stage}, ${target}, ${describeEnvironment(environment)})`,
    ...(environment ? { env: environment } : {}),
    stage,
    target: target as DeployTarget,
    projectRoot: PROJECT_ROOT,
    manifest: options.manifest,
    ...optional('databaseSecretArn', context('databaseSecretArn')),
    ...optional('databaseUrl', context('databaseUrl')),
    ...optional('localstackHost', context('localstackHost')),
    ...optional('retainData', flag('retainData')),
    ...optional('deletionProtection', flag('deletionProtection')),
    ...optional('natGateways', number('natGateways')),
    ...optional('databaseMinCapacity', number('databaseMinCapacity')),
    ...optional('databaseMaxCapacity', number('databaseMaxCapacity')),
    ...optional('logRetentionDays', number('logRetentionDays') as RetentionDays | undefined),
    ...optional('logLevel', context('logLevel')),
    settings: Object.fromEntries(
      (Object.keys(settings) as SettingName[]).flatMap((name) => {
        const value = context(name);
        return value === undefined ? [] : [[name, value]];
      }),
    ),
  });

  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
};
