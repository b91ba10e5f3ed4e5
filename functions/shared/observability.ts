/**
 * One Logger, Metrics and Tracer per cold start, configured from the standard Powertools environment
 * (POWERTOOLS_SERVICE_NAME, POWERTOOLS_LOG_LEVEL, POWERTOOLS_METRICS_NAMESPACE, ...), and the one base middy
 * stack every handler starts from (HTTP, WebSocket, Step Functions task, authorizer): Lambda context and
 * correlation id in every log line, a trace segment per invocation, metrics flushed at the end.
 *
 * Outside Lambda they stay quiet: Tracer disables itself when AWS_EXECUTION_ENV is unset (and obeys
 * POWERTOOLS_TRACE_ENABLED=false); Metrics prints nothing when POWERTOOLS_METRICS_DISABLED=true (or
 * POWERTOOLS_DEV=true). The local runtime sets both.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'mls';

export const logger = new Logger({ serviceName });
export const metrics = new Metrics({ serviceName, namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'MultimodalLlmStack' });
export const tracer = new Tracer({ serviceName });

export { MetricUnit };

/**
 * The base stack. `correlationId` picks the id that ties a request's log lines together (API Gateway's request
 * id, a WebSocket frame's, an execution id); `outcome` names the one count metric recorded per invocation, so
 * every invocation publishes at least one metric (Powertools warns on empty flushes) and dashboards get a
 * success/failure count per kind of handler.
 */
export const baseHandler = <E, R>(
  options: { correlationId?: (event: E) => string | undefined; outcome?: { success: string; failure: string } } = {},
) => {
  const outcome = options.outcome;
  return middy<E, R, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(captureLambdaHandler(tracer))
    .use(logMetrics(metrics))
    .use({
      before: (request) => {
        const id = options.correlationId?.(request.event);
        if (id !== undefined) logger.setCorrelationId(id);
      },
      // Block bodies: a middy middleware that returns a value replaces the response.
      ...(outcome && {
        after: () => {
          metrics.addMetric(outcome.success, MetricUnit.Count, 1);
        },
        onError: () => {
          metrics.addMetric(outcome.failure, MetricUnit.Count, 1);
        },
      }),
    });
};
