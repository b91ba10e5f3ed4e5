/**
 * The operations settings of a stage, from CDK context (`-c key=value` or cdk.json), with their defaults. Read
 * by the constructs through `operationsSettings(construct)`, so bin/ and the tests set them as any other context.
 *
 *   deployment           allAtOnce (default) | canary | linear: how a new function version takes traffic
 *                        (canary: 10 % for 5 min; linear: 10 % more every minute), rolled back by CodeDeploy
 *                        when the function's alarm or the stage's API 5xx alarm fires
 *   waf                  `true` puts a WAF web ACL (AWS managed rules and a per-IP rate rule) on the REST stage
 *   wafRateLimit         requests per IP per 5 minutes before the WAF blocks it (default 2000)
 *   apiThrottleRate      API Gateway stage steady-state requests per second (REST and WebSocket; default 100)
 *   apiThrottleBurst     API Gateway stage burst (default 200)
 *   alarmEmail           comma-separated addresses subscribed to the stage's alarm topic
 *   alarmHttpsUrl        comma-separated HTTPS endpoints subscribed to the alarm topic (PagerDuty, Opsgenie, ...)
 *   alarm<Name>          each alarm's threshold (ALARM_DEFAULTS below; docs/operations.md says what each means)
 */
import type { IConstruct } from 'constructs';

export type DeploymentMode = 'allAtOnce' | 'canary' | 'linear';

/** Alarm thresholds of the stack's own alarms, by context key, with their defaults (the domains' come from their manifests). */
export const ALARM_DEFAULTS = {
  /** REST 5xx answers, percent of requests over 5 minutes. */
  alarmApi5xxPercent: 5,
  /** A function's errors plus throttles over 5 minutes. */
  alarmFunctionErrors: 5,
  /** Failed (or timed-out, aborted) Step Functions executions over 5 minutes. */
  alarmFailedExecutions: 3,
  /** Messages waiting in the stage's dead-letter queue. */
  alarmDeadLetterMessages: 1,
  /** Aurora capacity (ACUs) at or above this fraction of the maximum, for 15 minutes. */
  alarmAuroraCapacityFraction: 0.9,
  /** DynamoDB throttled requests over 5 minutes. */
  alarmDynamoThrottles: 10,
  /** Audit entries or events that could not be written over 5 minutes. */
  alarmAuditWriteFailures: 1,
} as const;
export type AlarmThresholdKey = keyof typeof ALARM_DEFAULTS;

export interface OperationsSettings {
  deployment: DeploymentMode;
  waf: boolean;
  wafRateLimit: number;
  throttle: { rateLimit: number; burstLimit: number };
  alarmEmails: string[];
  alarmHttpsUrls: string[];
  thresholds: Record<AlarmThresholdKey | (string & {}), number>;
}

const list = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);

/** The settings from a context lookup; throws naming the key on a value the stack cannot use. */
export const readOperationsSettings = (
  context: (key: string) => string | undefined,
  extraThresholds: Record<string, number> = {},
): OperationsSettings => {
  const number = (key: string, fallback: number, min = 0): number => {
    const raw = context(key);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min) throw new Error(`context ${key} must be a number of at least ${min}: ${raw}`);
    return value;
  };
  const deployment = context('deployment') ?? 'allAtOnce';
  if (deployment !== 'allAtOnce' && deployment !== 'canary' && deployment !== 'linear') {
    throw new Error(`context deployment must be allAtOnce, canary or linear: ${deployment}`);
  }
  const alarmEmails = list(context('alarmEmail'));
  for (const email of alarmEmails)
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) throw new Error(`context alarmEmail has an invalid address: ${email}`);
  const alarmHttpsUrls = list(context('alarmHttpsUrl'));
  for (const url of alarmHttpsUrls) if (!url.startsWith('https://')) throw new Error(`context alarmHttpsUrl must be https:// URLs: ${url}`);
  const thresholds = Object.fromEntries(
    Object.entries({ ...ALARM_DEFAULTS, ...extraThresholds }).map(([key, fallback]) => [key, number(key, fallback)]),
  ) as OperationsSettings['thresholds'];
  const waf = context('waf');
  return {
    deployment,
    waf: waf !== undefined && waf !== 'false',
    // WAF's rate-based rules take 10 to 2,000,000,000 requests per evaluation window.
    wafRateLimit: number('wafRateLimit', 2000, 10),
    throttle: { rateLimit: number('apiThrottleRate', 100, 1), burstLimit: number('apiThrottleBurst', 200, 1) },
    alarmEmails,
    alarmHttpsUrls,
    thresholds,
  };
};

/** The settings as the app's context gives them to `scope`. */
export const operationsSettings = (scope: IConstruct, extraThresholds: Record<string, number> = {}): OperationsSettings =>
  readOperationsSettings((key) => {
    const value: unknown = scope.node.tryGetContext(key);
    return value === undefined || value === null || value === '' ? undefined : String(value);
  }, extraThresholds);
