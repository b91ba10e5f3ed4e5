/**
 * One Logger, Metrics and Tracer per cold start, configured from the standard Powertools environment
 * (POWERTOOLS_SERVICE_NAME, POWERTOOLS_LOG_LEVEL, POWERTOOLS_METRICS_NAMESPACE, ...), and the one base middy
 * stack every handler starts from (HTTP, WebSocket, Step Functions task, authorizer): Lambda context and
 * correlation id in every log line, a trace segment per invocation, metrics flushed at the end.
 *
 * Outside Lambda they stay quiet: the Tracer is not even loaded when tracing is off (see `tracing` below);
 * Metrics prints nothing when POWERTOOLS_METRICS_DISABLED=true (or POWERTOOLS_DEV=true). The local runtime
 * sets both.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'mls';

export const logger = new Logger({ serviceName });
export const metrics = new Metrics({ serviceName, namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'MultimodalLlmStack' });

/**
 * Tracing is on where Powertools would turn it on: in Lambda (AWS_EXECUTION_ENV), unless
 * POWERTOOLS_TRACE_ENABLED=false, SAM local or Amplify's mock. Only then is the Tracer loaded: it brings the
 * X-Ray SDK (cls-hooked, semver, its patchers), the largest single cost of importing a small function, which
 * a disabled Tracer paid for nothing (npm start, tests, benchmarks). In a bundle the import settles while
 * the module initialises, so in Lambda the Tracer is ready before the first invocation, as before.
 */
const tracingEnabled = (): boolean => {
  const executionEnv = process.env.AWS_EXECUTION_ENV ?? '';
  return (
    executionEnv !== '' &&
    executionEnv !== 'AWS_Lambda_amplify-mock' &&
    !process.env.AWS_SAM_LOCAL &&
    process.env.POWERTOOLS_TRACE_ENABLED?.toLowerCase() !== 'false'
  );
};

const tracing: Promise<middy.MiddlewareObj> | undefined = tracingEnabled()
  ? Promise.all([import('@aws-lambda-powertools/tracer'), import('@aws-lambda-powertools/tracer/middleware')]).then(
      ([{ Tracer }, { captureLambdaHandler }]) => captureLambdaHandler(new Tracer({ serviceName })),
    )
  : undefined;

/** Powertools' captureLambdaHandler (a segment per invocation, cold start and service annotations), once loaded. */
const traced = (loaded: Promise<middy.MiddlewareObj>): middy.MiddlewareObj => ({
  before: async (request) => {
    await (await loaded).before?.(request);
  },
  after: async (request) => {
    await (await loaded).after?.(request);
  },
  onError: async (request) => {
    await (await loaded).onError?.(request);
  },
});

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
  return (
    middy<E, R, Error, Context>()
      .use(injectLambdaContext(logger, { resetKeys: true }))
      // One stack either way: with tracing off, a no-op in the tracer's place.
      .use(tracing ? traced(tracing) : { before: () => undefined })
      // ColdStart (dimensions service, function_name) once per container: the dashboard's cold starts.
      .use(logMetrics(metrics, { captureColdStartMetric: true }))
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
      })
  );
};
