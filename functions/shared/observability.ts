/**
 * One Logger, Metrics and Tracer per cold start, configured from the standard Powertools environment
 * (POWERTOOLS_SERVICE_NAME, POWERTOOLS_LOG_LEVEL, POWERTOOLS_METRICS_NAMESPACE, ...).
 *
 * Outside Lambda they stay quiet: Tracer disables itself when AWS_EXECUTION_ENV is unset (and obeys
 * POWERTOOLS_TRACE_ENABLED=false); Metrics prints nothing when POWERTOOLS_METRICS_DISABLED=true (or
 * POWERTOOLS_DEV=true). The local runtime sets both.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'mls';

/** Header names whose values must never reach a log line. */
const secretHeaders = new Set(['authorization', 'x-api-key', 'cookie', 'set-cookie', 'proxy-authorization']);

export const logger = new Logger({ serviceName });
export const metrics = new Metrics({ serviceName, namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'MultimodalLlmStack' });
export const tracer = new Tracer({ serviceName });

/** A copy of headers safe to log: credential-bearing values replaced. */
export const redactHeaders = (headers: Record<string, string | undefined> | null | undefined): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    out[name] = secretHeaders.has(name.toLowerCase()) ? '[redacted]' : value;
  }
  return out;
};
